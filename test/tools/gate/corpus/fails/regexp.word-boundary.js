// \b (word boundary).
if (/\bcat\b/.test("a cat sat")) console.log("OK");
