// A button with data-copy-target="#input" copies that input's value to the clipboard
// and says so (data-copied-text) for two seconds.
document.querySelectorAll("[data-copy-target]").forEach((button) => {
  button.addEventListener("click", async () => {
    const input = document.querySelector(button.dataset.copyTarget);
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      document.execCommand("copy"); // no Clipboard API (plain http on another host)
    }
    const label = button.innerHTML;
    button.textContent = button.dataset.copiedText;
    setTimeout(() => { button.innerHTML = label; }, 2000);
  });
});
