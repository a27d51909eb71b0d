// Small behaviours shared by every page. Pages work without it; htmx adds partial updates.
document.addEventListener("htmx:responseError", function (event) {
  // Show a failed partial update instead of silently doing nothing.
  const box = document.getElementById("messages");
  if (!box) return;
  const alert = document.createElement("div");
  alert.className = "alert alert-danger";
  alert.setAttribute("role", "alert");
  alert.textContent = (document.documentElement.lang === "tr")
    ? "İstek başarısız oldu (" + event.detail.xhr.status + ")."
    : "The request failed (" + event.detail.xhr.status + ").";
  box.appendChild(alert);
});
