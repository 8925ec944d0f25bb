// A class: constructor, methods, get/set, static methods.
class P {
  constructor(x) { this._x = x; }
  twice() { return this._x * 2; }
  get x() { return this._x; }
  set x(v) { this._x = v; }
  static create(x) { return new P(x); }
}
var p = P.create(2);
p.x = 3;
if (p.x === 3 && p.twice() === 6) console.log("OK");
