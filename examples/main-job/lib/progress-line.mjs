/**
 * Live progress: on a terminal one line rewritten in place; otherwise (a pipe, a CI log)
 * plain lines, one per update.
 */
export function createProgressLine(stream) {
  const tty = stream.isTTY === true;
  let open = false;
  return {
    tty,
    /** Shows `text` as the current progress. */
    update(text) {
      if (tty) {
        // A pseudo-terminal without a size reports 0 columns.
        const width = stream.columns > 0 ? stream.columns : 120;
        stream.write(`\r\x1b[2K${text.length > width - 1 ? text.slice(0, width - 1) : text}`);
        open = true;
      } else {
        stream.write(`${text}\n`);
      }
    },
    /** Ends the live line so that what follows starts on a line of its own. */
    finish() {
      if (open) stream.write("\n");
      open = false;
    },
  };
}
