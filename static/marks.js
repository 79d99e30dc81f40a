// Task results drawn over an image on a 2D canvas, in the image's pixels: face boxes with their
// keypoints and scores (the demo's faces mode and the analyser), pose skeletons (the analyser).
// Drawing only; the results come decoded from Python (pyapp/tasks).
export const MARK_COLOUR = "#39ff88";

// Image pixels per screen pixel of a canvas fitted in its box, so that lines keep their on-screen width.
export function markScale(canvas) {
  const shown = canvas.getBoundingClientRect();
  return Math.max(canvas.width / shown.width, canvas.height / shown.height) || 1;
}

function style(ctx, px) {
  ctx.lineWidth = 3 * px;
  ctx.strokeStyle = ctx.fillStyle = MARK_COLOUR;
  ctx.font = `600 ${15 * px}px system-ui, sans-serif`;
  return 3 * px;
}

function dot(ctx, x, y, r) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fill();
}

// faces: [{box: [x0, y0, x1, y1], score, keypoints: [{x, y}]}] (FaceDetector's Detection.as_dict)
export function drawFaces(ctx, faces, px) {
  const line = style(ctx, px);
  for (const face of faces) {
    const [x0, y0, x1, y1] = face.box;
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
    for (const k of face.keypoints) dot(ctx, k.x, k.y, 1.5 * line);
    ctx.fillText(face.score.toFixed(2), x0, Math.max(y0 - 2 * line, 15 * px));
  }
}

// pose: {keypoints: [{x, y, score}]}; skeleton: [[i, j]] keypoint pairs; points under minScore are left out
export function drawPose(ctx, pose, skeleton, px, minScore = 0.2) {
  const line = style(ctx, px);
  const k = pose.keypoints;
  for (const [i, j] of skeleton) {
    if (k[i].score < minScore || k[j].score < minScore) continue;
    ctx.beginPath();
    ctx.moveTo(k[i].x, k[i].y);
    ctx.lineTo(k[j].x, k[j].y);
    ctx.stroke();
  }
  for (const p of k) if (p.score >= minScore) dot(ctx, p.x, p.y, 1.5 * line);
}
