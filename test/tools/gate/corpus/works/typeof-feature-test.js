// typeof on a global Espruino lacks is a feature test, not a use.
if (typeof Map === "undefined" || typeof Map === "function") console.log("OK");
