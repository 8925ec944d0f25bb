// | inside a group matches the wrong text.
if (!/x(a|b)y/.test("xaz") && /x(a|b)y/.test("xby")) console.log("OK");
