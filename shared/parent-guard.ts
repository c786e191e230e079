/**
 * Loaded (`--import`) before a lesson process the workshop starts as a child, with an IPC
 * channel: when the channel closes — the workshop ended, however it ended, even by SIGKILL —
 * the process ends too, so that no lesson process outlives the workshop that started it.
 * SIGTERM first (the lesson shuts down as it would for Ctrl+C), then exit after 3 s regardless.
 *
 * @module
 */
if (typeof process.send === 'function') {
  process.once('disconnect', () => {
    setTimeout(() => process.exit(1), 3000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
  // The channel alone keeps nothing alive: the process ends when its own work does.
  process.channel?.unref();
}
export {};
