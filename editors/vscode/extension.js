// VS Code client for the mql language server: starts `mql lsp` over stdio
// for .mql files and restarts it on request or when its path setting changes.
// The server runs the tests itself (code lenses "Run test" / "Run all
// tests", and the commands below ask it through workspace/executeCommand).
"use strict";

const vscode = require("vscode");
const {
  ExecuteCommandRequest,
  LanguageClient,
  TransportKind,
} = require("vscode-languageclient/node");

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
      initializationOptions: {
        runTestsOnSave: vscode.workspace.getConfiguration("mql").get("runTestsOnSave", false),
      },
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

/// The active editor's .mql document, or a message saying one is needed.
function mqlEditor() {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "mql") {
    vscode.window.showInformationMessage("Open a .mql model to run its tests.");
    return undefined;
  }
  return editor;
}

/// Ask the server to run the tests of `uri` (all, or the one named `name`);
/// it shows how it went and puts failures on their `expect` lines.
async function runTests(uri, name) {
  if (!client) {
    vscode.window.showErrorMessage("The MQL language server is not running.");
    return;
  }
  const args = name === undefined ? [uri] : [uri, name];
  try {
    await client.sendRequest(ExecuteCommandRequest.type, {
      command: name === undefined ? "mql.runTests" : "mql.runTest",
      arguments: args,
    });
  } catch (err) {
    vscode.window.showErrorMessage(`MQL tests: ${err.message}`);
  }
}

/// The title of the `test "…"` block around line `line`, if any.
function testAround(document, line) {
  for (let l = line; l >= 0; l--) {
    const text = document.lineAt(l).text;
    const m = /^\s*test\s+"((?:[^"\\]|\\.)*)"/.exec(text);
    if (m) {
      return m[1].replace(/\\(.)/g, "$1");
    }
    // Another declaration starts: the cursor is not in a test.
    if (l < line && /^(model|use|lead|event|const|let|criterion|segment|score|tier|stages|transition)\b/.test(text)) {
      return undefined;
    }
  }
  return undefined;
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("mql.runFileTests", async () => {
      const editor = mqlEditor();
      if (editor) {
        await runTests(editor.document.uri.toString());
      }
    }),
    vscode.commands.registerCommand("mql.runTestAtCursor", async () => {
      const editor = mqlEditor();
      if (!editor) {
        return;
      }
      const name = testAround(editor.document, editor.selection.active.line);
      if (name === undefined) {
        vscode.window.showInformationMessage("Put the cursor inside a `test \"…\" { … }` block.");
        return;
      }
      await runTests(editor.document.uri.toString(), name);
    }),
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
