// The journal language server's entry point: `node server.js --stdio` (or over Node IPC, as the extension starts it).

import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { serve } from './server';

serve(createConnection(ProposedFeatures.all));
