// A computed method name.
var k = "m";
class C { [k]() { return 1; } }
if (new C().m() === 1) console.log("OK");
