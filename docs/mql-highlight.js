// Colours the ```mql blocks of the book: mdBook's bundled highlight.js does
// not know the language, so it is registered here and the blocks are
// highlighted again once the page has loaded.
(function () {
  if (typeof hljs === "undefined") {
    return;
  }
  hljs.registerLanguage("mql", function (hljs) {
    return {
      name: "mql",
      keywords: {
        keyword:
          "model use event const let criterion segment score tier stages transition test " +
          "when otherwise each latest where within decay range to and or not in between " +
          "contains starts_with ends_with matches any as_of events expect ago up none " +
          "half_life linear every from missing",
        type: "int number bool string time duration enum list",
        literal: "true false now id stage stage_since time_in_stage",
        built_in:
          "count exists sum avg min max distinct first last lower upper trim length " +
          "domain known default abs round since hour weekday day days",
      },
      contains: [
        hljs.COMMENT("///", "$", { className: "doctag" }),
        hljs.C_LINE_COMMENT_MODE,
        hljs.QUOTE_STRING_MODE,
        { className: "keyword", begin: /\blead(?=\s*\{)/ },
        { className: "number", begin: /@\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?/ },
        { className: "number", begin: /\b\d+(\.\d+)?(%|[mhdw])?\b/ },
        { className: "operator", begin: /=>|->/ },
      ],
    };
  });
  document.querySelectorAll("code.language-mql").forEach(function (block) {
    block.textContent = block.textContent;
    hljs.highlightBlock(block);
  });
})();
