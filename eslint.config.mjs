// Lint rules, including the layer arrows of docs/architecture: src/journal and src/runtime never import vscode,
// src/journal imports nothing from the layers above it.
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'This layer must stay independent of VS Code (see docs/architecture.md).' };
const noDap = [
  { name: '@vscode/debugadapter', message: 'Only src/debug speaks DAP; the runtime knows nothing of it.' },
  { name: '@vscode/debugprotocol', message: 'Only src/debug speaks DAP; the runtime knows nothing of it.' },
];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.vscode-test/**', 'media/dist/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/journal/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode, ...noDap],
          patterns: [
            { group: ['**/runtime/**', '**/debug/**', '**/extension/**', '**/cli/**', '**/server/**'], message: 'src/journal is the bottom layer.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode, ...noDap],
          patterns: [{ group: ['**/debug/**', '**/extension/**', '**/cli/**', '**/server/**'], message: 'src/runtime sits below the debugger and the UI.' }],
        },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'src/debug/**/*.ts', 'src/shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
);
