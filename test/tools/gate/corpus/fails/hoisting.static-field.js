// The class's own name in a static field initialiser (it is bound only after the body).
class C {
  static a = 1;
  static b = C.a + 1;
}
if (C.b === 2) console.log("OK");
