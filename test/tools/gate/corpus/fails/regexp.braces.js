// A {n} quantifier.
if (/^a{3}$/.test("aaa")) console.log("OK");
