// import() of a module.
import("./x.js").then(function () {}, function () {}).then(function () { console.log("OK"); });
