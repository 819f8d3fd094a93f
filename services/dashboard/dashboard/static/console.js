// The console's own script: draws the charts whose options the server put on the page (as JSON data, never as
// code), and draws them again when htmx swaps a part of the page in. Nothing else runs here.
(function () {
  "use strict";

  function draw(root) {
    if (typeof window.echarts === "undefined") {
      return;
    }
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-chart"));
      if (!source || element.getAttribute("data-drawn") === "true") {
        return;
      }
      var option = JSON.parse(source.textContent);
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      // Marked once its animation has ended, so a reader's screenshot (and a test's) shows the chart as it stands.
      chart.on("finished", function () {
        element.setAttribute("data-settled", "true");
      });
      chart.setOption(option);
      element.setAttribute("data-drawn", "true");
      window.addEventListener("resize", function () {
        chart.resize();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    draw(event.target);
  });
})();
