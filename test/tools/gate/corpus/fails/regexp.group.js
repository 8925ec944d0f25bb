// A non-capturing group.
if ((/(?:ab)c/).test("abc")) console.log("OK");
