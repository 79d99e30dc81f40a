// Loaded first (a classic script in <head>) so it sees every main-thread long task from page open on.
window.longTasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: "longtask", buffered: true });
} catch (e) { /* no long-task support: the list stays empty */ }
