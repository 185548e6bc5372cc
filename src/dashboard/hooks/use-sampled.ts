import { useEffect, useRef, useState } from 'react';
import type { Observable } from 'rxjs';

/**
 * The latest value of `source`, as the screen should see it: every value is kept in a ref
 * (no render), and every `intervalMs` the latest one is copied into state, which re-renders
 * only when it is a different value. However fast the source emits, the component renders at
 * most once per interval. While `frozen`, nothing is copied (the source is still consumed);
 * unfreezing copies at once.
 *
 * `source` should be stable (memoized): a new one is a new subscription.
 */
export function useSampled<T>(
  source: Observable<T>,
  initial: T,
  intervalMs: number,
  frozen = false,
): T {
  const latest = useRef<T>(initial);
  const [sampled, setSampled] = useState<T>(initial);

  useEffect(() => {
    const subscription = source.subscribe((value) => {
      latest.current = value;
    });
    return () => subscription.unsubscribe();
  }, [source]);

  useEffect(() => {
    if (frozen) return;
    // React skips the render when the value is the one already shown.
    const copyLatest = () => setSampled(latest.current);
    copyLatest();
    const timer = setInterval(copyLatest, Math.max(1, intervalMs));
    return () => clearInterval(timer);
  }, [intervalMs, frozen]);

  return sampled;
}
