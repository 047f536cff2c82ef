// A small line chart on a canvas: price (y) over game hour (x), with the range written on the axis.

const COLORS = { line: '#4fc3f7', fill: 'rgba(79, 195, 247, 0.12)', grid: '#26304a', text: '#8692ab' };

/** Draws points [{x, y}] (x ascending) on the canvas, sized to its CSS box; records how many were drawn. */
export function drawLineChart(canvas, points) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 220;
  const height = canvas.clientHeight || 110;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = '10px system-ui, sans-serif';
  g.fillStyle = COLORS.text;
  canvas.dataset.points = String(points.length);
  if (points.length === 0) {
    g.fillText('no clearing yet', 8, height / 2);
    return;
  }
  const pad = { left: 38, right: 6, top: 6, bottom: 16 };
  const xs = points.map(p => p.x);
  const ys = points.map(p => p.y);
  let [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  if (yMax - yMin < 1e-9) {
    yMin -= Math.max(1, Math.abs(yMin) * 0.05);
    yMax += Math.max(1, Math.abs(yMax) * 0.05);
  }
  const [xMin, xMax] = [xs[0], Math.max(xs[xs.length - 1], xs[0] + 1)];
  const px = x => pad.left + (x - xMin) / (xMax - xMin) * (width - pad.left - pad.right);
  const py = y => height - pad.bottom - (y - yMin) / (yMax - yMin) * (height - pad.top - pad.bottom);

  g.strokeStyle = COLORS.grid;
  g.lineWidth = 1;
  for (const y of [yMin, (yMin + yMax) / 2, yMax]) {
    g.beginPath();
    g.moveTo(pad.left, Math.round(py(y)) + 0.5);
    g.lineTo(width - pad.right, Math.round(py(y)) + 0.5);
    g.stroke();
    g.fillText(format(y), 2, py(y) + 3);
  }
  g.fillText('h ' + xMin, pad.left, height - 3);
  const last = 'h ' + xs[xs.length - 1];
  g.fillText(last, width - pad.right - g.measureText(last).width, height - 3);

  g.beginPath();
  points.forEach((p, i) => (i === 0 ? g.moveTo(px(p.x), py(p.y)) : g.lineTo(px(p.x), py(p.y))));
  g.strokeStyle = COLORS.line;
  g.lineWidth = 2;
  g.stroke();
  g.lineTo(px(xs[xs.length - 1]), height - pad.bottom);
  g.lineTo(px(xs[0]), height - pad.bottom);
  g.closePath();
  g.fillStyle = COLORS.fill;
  g.fill();
  const end = points[points.length - 1];
  g.beginPath();
  g.arc(px(end.x), py(end.y), 3, 0, Math.PI * 2);
  g.fillStyle = COLORS.line;
  g.fill();
}

function format(value) {
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toFixed(2);
}
