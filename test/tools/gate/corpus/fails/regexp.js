// The ? quantifier.
if (/colou?r/.test("color") && /colou?r/.test("colour")) console.log("OK");
