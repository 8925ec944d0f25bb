// extends of a user class, super() and super.m().
class A {
  constructor(a) { this.a = a; }
  m() { return this.a; }
}
class B extends A {
  constructor() { super(1); this.b = 2; }
  m() { return super.m() + this.b; }
}
var b = new B();
if (b instanceof A && b.m() === 3) console.log("OK");
