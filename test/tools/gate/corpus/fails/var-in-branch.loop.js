// A var declared only inside a loop body that ran no turn.
function last(list) {
  for (var i = 0; i < list.length; i++) {
    var item = list[i];
  }
  return item;
}
if (last([]) === undefined && last([1, 2]) === 2) console.log("OK");
