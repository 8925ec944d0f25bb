// encodeURI (measured: missing, like several other standard globals).
if (encodeURI("a b") === "a%20b") console.log("OK");
