-- End-to-end check of `mql lsp` in a real editor: headless Neovim opens a
-- broken model, attaches the server, waits for its diagnostics, checks them,
-- fixes the line and waits for the diagnostics to clear; then runs a test
-- from its code lens, formats a file, and renames a field of a shared file
-- so that a model that is not open is edited too.
--
-- Run by tests/lsp_neovim.rs as
--   MQL_BIN=… MQL_FILE=… nvim --headless -u NONE -i NONE -n -S tests/nvim/check.lua
-- (the other files it opens are in MQL_FILE's folder).
-- Works with Neovim 0.7 (vim.lsp.start_client) and 0.8+ (vim.lsp.start).

local bin = os.getenv("MQL_BIN")
local file = os.getenv("MQL_FILE")

local function say(msg)
  io.stdout:write(msg .. "\n")
  io.stdout:flush()
end

local function fail(msg)
  io.stderr:write("FAIL: " .. msg .. "\n")
  io.stderr:flush()
  vim.cmd("cquit 1")
end

if not bin or not file then
  fail("set MQL_BIN and MQL_FILE")
end

vim.cmd("edit " .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()

local config = {
  name = "mql",
  cmd = { bin, "lsp" },
  root_dir = vim.fn.fnamemodify(file, ":p:h"),
}
local client_id
if vim.lsp.start then
  client_id = vim.lsp.start(config, { bufnr = buf })
else
  client_id = vim.lsp.start_client(config)
  if client_id then
    vim.lsp.buf_attach_client(buf, client_id)
  end
end
if not client_id then
  fail("could not start `mql lsp`")
end

local function code_of(d)
  if d.code then
    return d.code
  end
  local lsp = d.user_data and d.user_data.lsp
  return lsp and lsp.code
end

-- 1. The broken file gets its diagnostics.
local got = vim.wait(30000, function()
  return #vim.diagnostic.get(buf, { severity = vim.diagnostic.severity.ERROR }) > 0
end, 50)
if not got then
  fail("no error diagnostics within 30 s")
end
local errors = vim.diagnostic.get(buf, { severity = vim.diagnostic.severity.ERROR })
local d = errors[1]
say(string.format("diagnostic %s at %d:%d: %s", tostring(code_of(d)), d.lnum + 1, d.col + 1,
  (d.message:gsub("\n.*", ""))))
if not d.message:find("senority", 1, true) then
  fail("the diagnostic does not name `senority`: " .. d.message)
end
if code_of(d) ~= "E0100" then
  fail("expected code E0100, got " .. tostring(code_of(d)))
end

-- 2. Hover answers on the fixed name's declaration line.
local client = vim.lsp.get_client_by_id(client_id)
local params = {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  position = { line = 3, character = 4 },
}
local replies = vim.lsp.buf_request_sync(buf, "textDocument/hover", params, 10000) or {}
local hover_text = ""
for _, r in pairs(replies) do
  if r.result and r.result.contents then
    hover_text = r.result.contents.value or ""
  end
end
if not hover_text:find("seniority", 1, true) then
  fail("hover did not describe `seniority`: " .. hover_text)
end
say("hover: " .. (hover_text:gsub("\n", " ")))

-- 3. Fix the typo in the buffer (unsaved) and the errors clear.
local line = vim.api.nvim_buf_get_lines(buf, d.lnum, d.lnum + 1, false)[1]
local fixed = line:gsub("senority", "seniority")
vim.api.nvim_buf_set_lines(buf, d.lnum, d.lnum + 1, false, { fixed })
local cleared = vim.wait(30000, function()
  return #vim.diagnostic.get(buf, { severity = vim.diagnostic.severity.ERROR }) == 0
end, 50)
if not cleared then
  fail("the errors did not clear after the fix")
end
say("fixed: no errors")

local dir = vim.fn.fnamemodify(file, ":p:h")

-- Open another file of the folder in a buffer served by the same client.
local function open(name)
  vim.cmd("edit " .. vim.fn.fnameescape(dir .. "/" .. name))
  local b = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(b, client_id)
  return b
end

local function request(b, method, params)
  local replies = vim.lsp.buf_request_sync(b, method, params, 20000) or {}
  for _, r in pairs(replies) do
    if r.error then
      fail(method .. " failed: " .. vim.inspect(r.error))
    end
    return r.result
  end
  fail("no answer to " .. method)
end

-- 4. A failing test run from its code lens shows on its `expect` line.
local tested = open("tested.mql")
local lenses = request(tested, "textDocument/codeLens", { textDocument = { uri = vim.uri_from_bufnr(tested) } })
local run
for _, l in ipairs(lenses or {}) do
  if l.command and l.command.command == "mql.runTest" then
    run = l.command
  end
end
if not run then
  fail("no `Run test` code lens: " .. vim.inspect(lenses))
end
say("lens: " .. run.title .. " " .. tostring(run.arguments[2]))
request(tested, "workspace/executeCommand", { command = run.command, arguments = run.arguments })
local failed = vim.wait(30000, function()
  return #vim.diagnostic.get(tested) > 0
end, 50)
if not failed then
  fail("the failing test gave no diagnostic")
end
local t = vim.diagnostic.get(tested)[1]
say(string.format("test failure at %d: %s", t.lnum + 1, (t.message:gsub("\n.*", ""))))

-- 5. Formatting gives what `mql fmt` writes.
local messy = open("messy.mql")
local edits = request(messy, "textDocument/formatting", {
  textDocument = { uri = vim.uri_from_bufnr(messy) },
  options = { tabSize = 2, insertSpaces = true },
})
vim.lsp.util.apply_text_edits(edits or {}, messy, client.offset_encoding or "utf-16")
local got = table.concat(vim.api.nvim_buf_get_lines(messy, 0, -1, false), "\n") .. "\n"
local want = table.concat(vim.fn.readfile(dir .. "/messy.expected"), "\n") .. "\n"
if got ~= want then
  fail("formatted text differs from `mql fmt`:\n" .. got .. "\n---\n" .. want)
end
say("formatted: same as mql fmt")

-- 6. Renaming a field of a shared file edits a model that is not open.
local common = open("common.mql")
local line = vim.api.nvim_buf_get_lines(common, 0, 1, false)[1]
local col = line:find("email", 1, true) - 1
local edit = request(common, "textDocument/rename", {
  textDocument = { uri = vim.uri_from_bufnr(common) },
  position = { line = 0, character = col },
  newName = "work_email",
})
local files = 0
for _ in pairs((edit and edit.changes) or {}) do
  files = files + 1
end
vim.lsp.util.apply_workspace_edit(edit, client.offset_encoding or "utf-16")
vim.cmd("silent! wall")
say(string.format("renamed in %d files", files))

if client then
  client.stop()
end
vim.cmd("qa!")
