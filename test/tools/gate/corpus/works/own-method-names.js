// A program's own methods may have the names of built-ins Espruino lacks.
var ring = { items: [5, 6, 7], at: function (i) { return this.items[i < 0 ? this.items.length + i : i]; } };
class Path { constructor() { this.parts = ["a", "b"]; } flat() { return this.parts.join("/"); } }
if (ring.at(-1) === 7 && new Path().flat() === "a/b") console.log("OK");
