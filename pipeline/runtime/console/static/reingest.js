// Polls the running reingest and updates its bar; no build step, no framework.
(function () {
  var box = document.getElementById("job"), text = document.getElementById("job-text");
  if (!box || !text || ["waiting", "running"].indexOf(text.dataset.state) < 0) return;
  var names = {waiting: "等待中", running: "进行中", done: "已完成", failed: "失败"};
  function poll() {
    fetch(box.dataset.status, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (job) {
      var bar = document.getElementById("job-bar");
      bar.max = job.total || 1;
      bar.value = job.done;
      text.textContent = names[job.state] + "：" + job.done + "/" + job.total + " 封";
      text.dataset.state = job.state;
      document.getElementById("job-result").textContent = job.result || "";
      if (job.state === "waiting" || job.state === "running") setTimeout(poll, 1000);
    }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
