// A flag other than g and i (m).
if (/^b$/m.test("a\nb")) console.log("OK");
