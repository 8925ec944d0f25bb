// Instance and static fields (and statics read through the class that declares them).
class C {
  n = 1;
  static k = 2;
}
class D extends C { static k = 3; }
if (new C().n === 1 && C.k === 2 && D.k === 3) console.log("OK");
