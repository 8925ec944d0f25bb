// this in a static field initialiser.
class C {
  static a = 1;
  static b = this.a + 1;
}
if (C.b === 2) console.log("OK");
