// Keywords are fine as object-literal keys, object method names and after a dot.
var o = { of: 1, delete: 2, "quoted key": 3, new() { return 4; } };
o.static = 5;
if (o.of + o.delete + o["quoted key"] + o.new() + o.static === 15) console.log("OK");
