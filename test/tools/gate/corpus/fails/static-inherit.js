// Static members are not inherited.
class A { static make() { return 1; } }
class B extends A {}
var m = B.make;
if (m && m() === 1) console.log("OK");
