// Bundles the Node entry points (extension host code and the CLI) into dist/. `vscode` is provided by the editor;
// native addons (lz4-napi, @node-rs/crc32) and binaryen stay in node_modules and are loaded at run time.
'use strict';
const path = require('node:path');
const webpack = require('webpack');

/** @type {import('webpack').Configuration} */
const nodeConfig = {
  name: 'node',
  target: 'node20',
  entry: {
    extension: './src/extension/extension.ts',
    cli: './src/cli/bin.ts',
    // The journal language server (the extension starts it as its own process).
    server: './src/server/main.ts',
    // Loaded by path at run time (new Worker), from the bundle's folder.
    'socket-worker': './src/runtime/socket-worker.ts',
    'stdin-worker': './src/runtime/stdin-worker.ts',
    'run-worker': './src/runtime/host/run-worker.ts',
    'instrument-worker': './src/runtime/snapshot/instrument-worker.ts',
    'instrument-now-worker': './src/runtime/snapshot/instrument-now-worker.ts',
    'guest-worker': './src/runtime/session/guest-worker.ts',
    'journal-writer': './src/journal/journal-writer.ts',
  },
  // Keep the real __dirname: the socket worker is found next to the bundle.
  node: { __dirname: false },
  output: {
    path: path.resolve(__dirname, 'dist'),
    filename: '[name].js',
    libraryTarget: 'commonjs2',
    // The webviews' bundles (the other configuration) stay.
    clean: { keep: /^webview[\\/]/ },
  },
  devtool: 'source-map',
  externals: {
    vscode: 'commonjs vscode',
    'lz4-napi': 'commonjs lz4-napi',
    '@node-rs/crc32': 'commonjs @node-rs/crc32',
    // An ES module with top-level await (14 MB): loaded at run time with import(), only when instrumenting.
    binaryen: 'import binaryen',
  },
  resolve: {
    extensions: ['.ts', '.js'],
    // Its ES module build: the UMD one (what `require` gets) hides its requires from webpack.
    alias: { 'vscode-languageserver-types$': path.resolve(__dirname, 'node_modules', 'vscode-languageserver-types', 'lib', 'esm', 'main.js') },
  },
  module: {
    rules: [{ test: /\.ts$/, exclude: /node_modules/, use: [{ loader: 'ts-loader', options: { transpileOnly: true } }] }],
  },
  plugins: [new webpack.BannerPlugin({ banner: '#!/usr/bin/env node', raw: true, entryOnly: true, test: /cli\.js$/ })],
  optimization: { minimize: false },
  performance: { hints: false },
  stats: 'errors-warnings',
};

/** The webviews' scripts: plain browser code (no Node), type-checked by src/webview/tsconfig.json in `npm test`. */
/** @type {import('webpack').Configuration} */
const webConfig = {
  name: 'web',
  target: 'web',
  entry: { timeline: './src/webview/timeline/main.ts', memory: './src/webview/memory/main.ts', journal: './src/webview/journal/main.ts' },
  output: { path: path.resolve(__dirname, 'dist', 'webview'), filename: '[name].js', clean: true },
  devtool: 'source-map',
  resolve: { extensions: ['.ts', '.js'] },
  module: {
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: [{ loader: 'ts-loader', options: { transpileOnly: true, configFile: path.resolve(__dirname, 'src', 'webview', 'tsconfig.json') } }],
      },
    ],
  },
  optimization: { minimize: true },
  performance: { hints: false },
  stats: 'errors-warnings',
};

module.exports = [nodeConfig, webConfig];
