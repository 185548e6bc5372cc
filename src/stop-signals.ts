/**
 * SIGINT and SIGTERM as a request to stop: the first calls `stop` (the command ends its input
 * and finishes in order), a second one exits at once with `secondExit`, without waiting.
 * Resolves nothing; returns the function that removes the handlers.
 */
export function onStopSignals(stop: () => void, secondExit = 0): () => void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(secondExit);
    stopping = true;
    stop();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  };
}
