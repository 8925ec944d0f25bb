// Proxy.
var p = new Proxy({}, { get: function (t, k) { return k; } });
if (p.abc === "abc") console.log("OK");
