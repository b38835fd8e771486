// The replay panel UI (Lit + @vscode-elements/elements) lands here with the panel.
export {};
