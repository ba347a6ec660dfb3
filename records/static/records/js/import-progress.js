/*
 * The progress bar of a spreadsheet import that is being checked or imported.
 *
 * Polls the batch's progress URL (JSON: status, rows_done, rows_total, phase,
 * seconds_left, text, percent, done) once a second, updates the bar and the
 * text, and reloads the page when the step is done so the result shows.
 * Everything is server state: a reload picks the progress up where it is.
 */
(function () {
    "use strict";

    var INTERVAL = 1000;
    var MAX_FAILURES = 30;

    function start(section) {
        var url = section.getAttribute("data-progress-url");
        var bar = section.querySelector("[data-progress-bar]");
        var track = section.querySelector("[data-progress-track]");
        var text = section.querySelector("[data-progress-text]");
        var failures = 0;
        var timer = null;

        function show(data) {
            var percent = Math.max(0, Math.min(100, Number(data.percent) || 0));
            if (bar) {
                bar.style.width = percent + "%";
            }
            if (track) {
                track.setAttribute("aria-valuenow", String(percent));
            }
            if (text) {
                text.textContent = data.text || data.status_label || "";
            }
        }

        function poll() {
            fetch(url, {
                credentials: "same-origin",
                headers: { Accept: "application/json" },
                cache: "no-store",
            })
                .then(function (response) {
                    if (!response.ok) {
                        throw new Error("HTTP " + response.status);
                    }
                    return response.json();
                })
                .then(function (data) {
                    failures = 0;
                    show(data);
                    if (data.done) {
                        window.location.reload();
                        return;
                    }
                    timer = window.setTimeout(poll, INTERVAL);
                })
                .catch(function () {
                    failures += 1;
                    if (failures < MAX_FAILURES) {
                        timer = window.setTimeout(poll, INTERVAL * 2);
                    }
                });
        }

        timer = window.setTimeout(poll, INTERVAL);
        window.addEventListener("pagehide", function () {
            if (timer) {
                window.clearTimeout(timer);
            }
        });
    }

    function init() {
        var sections = document.querySelectorAll("[data-import-progress]");
        for (var i = 0; i < sections.length; i += 1) {
            start(sections[i]);
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
})();
