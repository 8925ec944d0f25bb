// Object.assign/keys/values/entries/create(proto)/defineProperty(get)/getPrototypeOf/setPrototypeOf.
var o = Object.assign({}, { a: 1 }, { b: 2 });
var proto = { hi: function () { return "hi"; } };
var c = Object.create(proto);
Object.defineProperty(c, "g", { get: function () { return 5; } });
var d = {};
Object.setPrototypeOf(d, proto);
if (Object.keys(o).join() === "a,b" && Object.values(o).join() === "1,2" &&
    Object.entries(o)[1][1] === 2 && c.hi() === "hi" && c.g === 5 &&
    Object.getPrototypeOf(c) === proto && d.hi() === "hi") console.log("OK");
