import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { webviewBundled } from './scripts/imports.mjs';

// The layers (docs/architecture.md): the core, the CLI and the shared protocol never see VS Code;
// what the replay panel's browser bundle reaches (webview/src and the core/shared files it
// imports, found from the import graph) never sees Node. Import cycles: test/layers.test.ts.
const noVscode = {
  name: 'vscode',
  message: 'src/core, src/cli, src/debug, src/server, src/mcp and src/shared run without VS Code: only src/extension imports it.',
};
const nodeMessage = 'This file is bundled for the replay panel (a browser): no Node modules here.';
const noNode = [
  ...builtinModules.filter((m) => !m.startsWith('_')).map((name) => ({ name, message: nodeMessage })),
  ...builtinModules.map((m) => ({ name: `node:${m}`, message: nodeMessage })),
];
const restrict = (paths) => ({ 'no-restricted-imports': ['error', { paths }] });
const bundled = webviewBundled();

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.vscode-test/**', '.cache/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { URL: 'readonly', process: 'readonly', require: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['src/core/**', 'src/cli/**', 'src/debug/**', 'src/server/**', 'src/mcp/**', 'src/shared/**'], rules: restrict([noVscode]) },
  { files: ['src/shared/**', ...bundled], rules: restrict([noVscode, ...noNode]) },
);
