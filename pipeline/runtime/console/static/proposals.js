// A page image that cannot be drawn gives way to its short note (the CSP allows no inline handlers).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("img.page-img").forEach(function (img) {
    function broken() {
      var note = img.closest("figure").querySelector(".page-note");
      img.parentNode.remove();
      if (note) { note.hidden = false; }
    }
    if (img.complete && img.naturalWidth === 0 && img.getAttribute("loading") !== "lazy") { broken(); }
    img.addEventListener("error", broken);
  });
});
