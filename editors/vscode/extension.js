// VS Code client for the mql language server: starts `mql lsp` over stdio
// for .mql files and restarts it on request or when its path setting changes.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const command = vscode.workspace.getConfiguration("mql").get("server.path", "mql");
  const run = { command, args: ["lsp"], transport: TransportKind.stdio };
  return { run, debug: run };
}

async function start(context) {
  client = new LanguageClient(
    "mql",
    "MQL",
    serverOptions(),
    {
      documentSelector: [{ scheme: "file", language: "mql" }, { scheme: "untitled", language: "mql" }],
      synchronize: {
        // Tell the server when a model changes on disk (a `use`d file edited
        // elsewhere, or deleted) so models that use it are re-checked.
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.mql"),
      },
    }
  );
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `Could not start the MQL language server (\`${serverOptions().run.command} lsp\`): ${err.message}. ` +
        "Install mql or set `mql.server.path`."
    );
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("mql.restartServer", async () => {
      if (client) {
        await client.stop();
      }
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("mql.server.path")) {
        await vscode.commands.executeCommand("mql.restartServer");
      }
    })
  );
  await start(context);
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate };
