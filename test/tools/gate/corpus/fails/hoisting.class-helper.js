// How compiled class helpers crash: _inherits runs before _setPrototypeOf exists.
function _inherits(sub, sup) {
  sub.prototype = Object.create(sup.prototype);
  sub.prototype.constructor = sub;
  _setPrototypeOf(sub, sup);
}
var A = (function () { function A() { this.a = 1; } return A; })();
var B = (function (_A) {
  function B() { _A.call(this); this.b = 2; }
  _inherits(B, _A);
  return B;
})(A);
function _setPrototypeOf(o, p) { Object.setPrototypeOf(o, p); return o; }
var b = new B();
if (b.a === 1 && b.b === 2) console.log("OK");
