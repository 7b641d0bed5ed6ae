/* landuse map runtime, bulk layers: one canvas per large layer (no dependency but Leaflet).
 *
 * A layer of many features (landuse._map_bulk.BULK_MIN_FEATURES) arrives packed: its
 * geometries, attributes and classes as JSON, deflated and base64-encoded, inflated by
 * the browser's own DecompressionStream. It is not turned into one Leaflet layer per
 * feature (200,000 polygons would take seconds to build): the rings are decoded once
 * into flat typed arrays of Web Mercator coordinates, a grid index finds the features
 * in view, and a canvas renderer draws them batched by class, a feature smaller than a
 * pixel as one pixel. Clicks and hovers are hit-tested through the same grid (even-odd
 * point in polygon, distance to lines); popups, tooltips and search use the functions of
 * runtime.js, so they show exactly what the per-feature layers show. Every attribute
 * value is written into the page with textContent, never innerHTML.
 */
(function () {
  "use strict";
  var LU = window.landuse = window.landuse || {};
  var MAXLAT = 85.0511287798, GRID = 256;

  // Web Mercator "world" coordinates at zoom 0 (256 units wide), as Leaflet's EPSG:3857.
  function wx(lng) { return 256 * (0.5 + lng / 360); }
  function wy(lat) {
    lat = Math.max(Math.min(MAXLAT, lat), -MAXLAT);
    var s = Math.sin(lat * Math.PI / 180);
    return 256 * (0.5 - 0.25 * Math.log((1 + s) / (1 - s)) / Math.PI);
  }
  function toLatLng(x, y) {
    var m = 2 * Math.PI * (0.5 - y / 256);
    return L.latLng((2 * Math.atan(Math.exp(m)) - Math.PI / 2) * 180 / Math.PI, (x / 256 - 0.5) * 360);
  }

  // base64 of DEFLATE (zlib) -> a Response whose body is the inflated bytes
  LU.inflate = function (b64) {
    var bytes;
    if (Uint8Array.fromBase64) { bytes = Uint8Array.fromBase64(b64); } else {
      var bin = atob(b64), n = bin.length;
      bytes = new Uint8Array(n);
      for (var i = 0; i < n; i++) { bytes[i] = bin.charCodeAt(i); }
    }
    return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate")));
  };

  // Decode every ring (the binary block of _map_bulk._geometry_bytes) into one array of
  // x, y pairs; ring r spans vertices rings[r] .. rings[r + 1] - 1.
  function build(entry, buf) {
    var head = new Uint32Array(buf, 0, 3), n = head[0], nr = head[1];
    var counts = new Uint32Array(buf, 12, n), lengths = new Uint32Array(buf, 12 + 4 * n, nr);
    var chars = new Uint8Array(buf, 12 + 4 * (n + nr));
    var xy = new Float64Array(2 * head[2]), rings = new Int32Array(nr + 1), featRing = new Int32Array(n + 1);
    var bbox = new Float64Array(4 * n), ring = 0, pos = 0, v = 0;
    // Mercator y at every 0.001 degree of the layer's latitudes, interpolated linearly
    // (off by less than 1e-3 pixel at zoom 20: the curve is nearly straight over 0.001 degree)
    var lb = entry.spec.bounds || [[0, 0], [0, 0]], t0 = Math.floor(lb[0][0] * 1000) * 1000 - 1000;
    var tn = Math.max(0, Math.ceil((lb[1][0] * 1e6 - t0) / 1000) + 1), table = new Float64Array(tn + 1);
    for (var ti0 = 0; ti0 <= tn; ti0++) { table[ti0] = wy((t0 + 1000 * ti0) / 1e6); }
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (var i = 0; i < n; i++) {
      var bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
      for (var p = 0; p < counts[i]; p++, ring++) {
        var end = pos + lengths[ring], lat = 0, lng = 0, b, shift, res;
        while (pos < end) {
          shift = 0; res = 0;
          do { b = chars[pos++] - 63; res |= (b & 31) << shift; shift += 5; } while (b >= 32);
          lat += (res & 1) ? ~(res >>> 1) : (res >>> 1);
          shift = 0; res = 0;
          do { b = chars[pos++] - 63; res |= (b & 31) << shift; shift += 5; } while (b >= 32);
          lng += (res & 1) ? ~(res >>> 1) : (res >>> 1);
          var x = wx(lng / 1e6), t = (lat - t0) / 1000, ti = Math.floor(t), y;
          y = ti >= 0 && ti < tn ? table[ti] + (table[ti + 1] - table[ti]) * (t - ti) : wy(lat / 1e6);
          xy[v++] = x; xy[v++] = y;
          if (x < bx0) { bx0 = x; } if (x > bx1) { bx1 = x; }
          if (y < by0) { by0 = y; } if (y > by1) { by1 = y; }
        }
        rings[ring + 1] = v >> 1;
      }
      featRing[i + 1] = ring;
      bbox[4 * i] = bx0; bbox[4 * i + 1] = by0; bbox[4 * i + 2] = bx1; bbox[4 * i + 3] = by1;
      if (bx0 < x0) { x0 = bx0; } if (by0 < y0) { y0 = by0; }
      if (bx1 > x1) { x1 = bx1; } if (by1 > y1) { y1 = by1; }
    }
    entry.xy = xy; entry.rings = rings; entry.featRing = featRing;
    entry.bbox = bbox; entry.n = n;
    // grid index (compressed rows): the features whose box touches each cell
    var cw = Math.max((x1 - x0) / GRID, 1e-12), ch = Math.max((y1 - y0) / GRID, 1e-12);
    var counts = new Int32Array(GRID * GRID + 1), cx, cy, f;
    var cell = function (v, o, s) { return Math.min(GRID - 1, Math.max(0, Math.floor((v - o) / s))); };
    for (var pass = 0; pass < 2; pass++) {
      var items = pass ? new Int32Array(counts[GRID * GRID]) : null, fill = pass ? counts.slice() : null;
      for (f = 0; f < n; f++) {
        if (!(bbox[4 * f] <= bbox[4 * f + 2])) { continue; }
        var ca = cell(bbox[4 * f], x0, cw), cb = cell(bbox[4 * f + 2], x0, cw);
        var ra = cell(bbox[4 * f + 1], y0, ch), rb = cell(bbox[4 * f + 3], y0, ch);
        for (cy = ra; cy <= rb; cy++) {
          for (cx = ca; cx <= cb; cx++) {
            if (pass) { items[fill[cy * GRID + cx]++] = f; } else { counts[cy * GRID + cx + 1]++; }
          }
        }
      }
      if (!pass) { for (var c = 0; c < GRID * GRID; c++) { counts[c + 1] += counts[c]; } }
      else { entry.grid = {x0: x0, y0: y0, cw: cw, ch: ch, start: counts, items: items, cell: cell}; }
    }
    entry.mark = new Uint32Array(n);
    entry.stamp = 0;
  }

  // The features whose box meets the world rectangle, each once.
  function query(entry, qx0, qy0, qx1, qy1, visit) {
    var g = entry.grid, bbox = entry.bbox;
    if (!g || qx1 < g.x0 || qy1 < g.y0 || qx0 > g.x0 + g.cw * GRID || qy0 > g.y0 + g.ch * GRID) { return; }
    var s = ++entry.stamp, mark = entry.mark;
    var ca = g.cell(qx0, g.x0, g.cw), cb = g.cell(qx1, g.x0, g.cw);
    var ra = g.cell(qy0, g.y0, g.ch), rb = g.cell(qy1, g.y0, g.ch);
    for (var cy = ra; cy <= rb; cy++) {
      for (var cx = ca; cx <= cb; cx++) {
        var c = cy * GRID + cx;
        for (var k = g.start[c]; k < g.start[c + 1]; k++) {
          var f = g.items[k];
          if (mark[f] === s) { continue; }
          mark[f] = s;
          if (bbox[4 * f] <= qx1 && bbox[4 * f + 2] >= qx0 && bbox[4 * f + 1] <= qy1 && bbox[4 * f + 3] >= qy0) {
            visit(f);
          }
        }
      }
    }
  }

  var BulkRenderer = L.Canvas.extend({
    initialize: function (entry, options) {
      L.Canvas.prototype.initialize.call(this, options);
      this._lu = entry;
    },
    _initContainer: function () {
      L.Canvas.prototype._initContainer.call(this);
      this._container.style.pointerEvents = "none";  // hit-testing is done by the map handlers
    },
    _draw: function () {
      var e = this._lu, map = this._map, ctx = this._ctx;
      if (!e.grid || !map) { return; }
      var spec = e.spec, scale = map.options.crs.scale(map.getZoom()) / 256;
      var o = map.getPixelOrigin(), b = this._bounds, xy = e.xy, rings = e.rings, fr = e.featRing;
      var line = spec.kind === "line", fill = !line && !!spec.fillOpacity;
      var byClass = spec.classes.map(function () { return []; });
      var rgb = spec.classes.map(function (c) {
        var h = /^#([0-9a-f]{6})$/i.exec(c[0]), v = h ? parseInt(h[1], 16) : 0x808080;
        return [v >> 16, (v >> 8) & 255, v & 255];
      });
      var cls = spec.cls, bbox = e.bbox, drawn = 0, m = L.Browser.retina ? 2 : 1;
      var W = this._container.width, H = this._container.height, img = null, px, py, at, col;
      // features smaller than a pixel: one pixel of their class colour, straight into the
      // image (a path of 200,000 tiny rectangles would take longer than everything else)
      query(e, (b.min.x + o.x) / scale, (b.min.y + o.y) / scale, (b.max.x + o.x) / scale,
            (b.max.y + o.y) / scale, function (f) {
              drawn++;
              if ((bbox[4 * f + 2] - bbox[4 * f]) * scale >= 1.5 ||
                  (bbox[4 * f + 3] - bbox[4 * f + 1]) * scale >= 1.5) { byClass[cls[f]].push(f); return; }
              px = Math.floor(((bbox[4 * f] + bbox[4 * f + 2]) / 2 * scale - o.x - b.min.x) * m);
              py = Math.floor(((bbox[4 * f + 1] + bbox[4 * f + 3]) / 2 * scale - o.y - b.min.y) * m);
              if (px < 0 || py < 0 || px >= W || py >= H) { return; }
              if (!img) { img = ctx.createImageData(W, H); }
              at = 4 * (py * W + px); col = rgb[cls[f]];
              img.data[at] = col[0]; img.data[at + 1] = col[1]; img.data[at + 2] = col[2]; img.data[at + 3] = 255;
            });
      e.drawn = drawn;
      if (img) { ctx.putImageData(img, 0, 0); }  // device pixels, before the shapes
      ctx.save();
      ctx.lineJoin = "round"; ctx.lineCap = "round";
      for (var k = 0; k < byClass.length; k++) {
        var c = spec.classes[k], list = byClass[k];
        if (list.length) {
          ctx.beginPath();
          for (var j = 0; j < list.length; j++) {
            var f = list[j];
            for (var r = fr[f]; r < fr[f + 1]; r++) {
              var v = rings[r], end = rings[r + 1];
              if (end <= v) { continue; }
              ctx.moveTo(xy[2 * v] * scale - o.x, xy[2 * v + 1] * scale - o.y);
              for (v++; v < end; v++) { ctx.lineTo(xy[2 * v] * scale - o.x, xy[2 * v + 1] * scale - o.y); }
              if (!line) { ctx.closePath(); }
            }
          }
          if (fill) { ctx.globalAlpha = spec.fillOpacity; ctx.fillStyle = c[0]; ctx.fill("evenodd"); }
          ctx.globalAlpha = 1; ctx.lineWidth = spec.weight; ctx.strokeStyle = line ? c[0] : (spec.stroke || c[0]);
          ctx.stroke();
        }
      }
      ctx.restore();
    }
  });

  function segDist2(px, py, ax, ay, bx, by) {
    var dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy, t = 0;
    if (l2 > 0) { t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / l2)); }
    var qx = ax + t * dx - px, qy = ay + t * dy - py;
    return qx * qx + qy * qy;
  }

  // Does feature f contain the world point (px, py)? tol: tolerance in world units.
  function hits(e, f, px, py, tol) {
    var xy = e.xy, rings = e.rings, fr = e.featRing, spec = e.spec;
    var area = spec.kind !== "line" && !!spec.fillOpacity, inside = false;
    for (var r = fr[f]; r < fr[f + 1]; r++) {
      var a = rings[r], end = rings[r + 1];
      for (var v = a; v < end; v++) {
        var w = v + 1 < end ? v + 1 : (spec.kind === "line" ? -1 : a);
        if (w < 0) { break; }
        var x1 = xy[2 * v], y1 = xy[2 * v + 1], x2 = xy[2 * w], y2 = xy[2 * w + 1];
        if (area) {
          if (((y1 > py) !== (y2 > py)) && (px < (x2 - x1) * (py - y1) / (y2 - y1) + x1)) { inside = !inside; }
        } else if (segDist2(px, py, x1, y1, x2, y2) <= tol * tol) {
          return true;
        }
      }
    }
    return inside;
  }

  // The topmost bulk feature under a map point: {entry, index} or null.
  function pick(st, latlng) {
    var map = st.map, scale = map.options.crs.scale(map.getZoom()) / 256;
    var px = wx(latlng.lng), py = wy(latlng.lat);
    for (var k = st.layers.length - 1; k >= 0; k--) {
      var e = st.layers[k];
      if (!e.bulk || !e.grid || !map.hasLayer(e.group)) { continue; }
      var tol = (e.spec.weight / 2 + 3) / scale, best = -1;
      query(e, px - tol, py - tol, px + tol, py + tol, function (f) {
        if (f > best && hits(e, f, px, py, tol)) { best = f; }
      });
      if (best >= 0) { return {entry: e, index: best}; }
    }
    return null;
  }

  // The topmost bulk feature at a latlng: {layer: index in landuse.maps[k].layers, index}.
  LU.pick = function (map, latlng) {
    var st = LU.maps.filter(function (s) { return s.map === map; })[0], hit = st && pick(st, L.latLng(latlng));
    return hit ? {layer: st.layers.indexOf(hit.entry), index: hit.index} : null;
  };

  // A stand-in for a Leaflet layer, for LU.search (bounds, centre, index).
  function feature(e, i) {
    if (!e.grid || i >= e.n || !(e.bbox[4 * i] <= e.bbox[4 * i + 2])) { return null; }
    var bb = e.bbox;
    return {
      _luIndex: i,
      options: {fill: e.spec.kind !== "line" && !!e.spec.fillOpacity},
      getLatLngs: function () { return []; },
      getRings: function () {  // every ring as [LatLng, ...], for the search's outline
        var out = [];
        for (var r = e.featRing[i]; r < e.featRing[i + 1]; r++) {
          var ring = [];
          for (var v = e.rings[r]; v < e.rings[r + 1]; v++) { ring.push(toLatLng(e.xy[2 * v], e.xy[2 * v + 1])); }
          out.push(ring);
        }
        return out;
      },
      getBounds: function () {
        return L.latLngBounds(toLatLng(bb[4 * i], bb[4 * i + 3]), toLatLng(bb[4 * i + 2], bb[4 * i + 1]));
      },
      getCenter: function () {
        // area-weighted centroid of the first ring (as Leaflet's polygon getCenter)
        var xy = e.xy, a = e.rings[e.featRing[i]], end = e.rings[e.featRing[i] + 1];
        var sx = 0, sy = 0, sa = 0;
        for (var v = a; v < end; v++) {
          var w = v + 1 < end ? v + 1 : a, c = xy[2 * v] * xy[2 * w + 1] - xy[2 * w] * xy[2 * v + 1];
          sa += c; sx += (xy[2 * v] + xy[2 * w]) * c; sy += (xy[2 * v + 1] + xy[2 * w + 1]) * c;
        }
        if (!sa) { return this.getBounds().getCenter(); }
        return toLatLng(sx / (3 * sa), sy / (3 * sa));
      }
    };
  }

  function openPopup(st, hit, latlng) {
    L.popup({maxWidth: 360}).setLatLng(latlng)
      .setContent(LU.popupNode(hit.entry.spec, hit.index)).openOn(st.map);
  }

  // A click on a feature of the per-feature layer at position `order`: a bulk feature
  // drawn above it wins, and that layer's own popup is not opened (runtime.js).
  LU.bulkClick = function (st, ev, order) {
    var hit = pick(st, ev.latlng);
    if (hit && st.layers.indexOf(hit.entry) > order && ev.originalEvent) {
      ev.originalEvent._luBulk = true;
      openPopup(st, hit, ev.latlng);
    }
  };

  function listen(st) {
    if (st.bulkEvents) { return; }
    st.bulkEvents = true;
    var map = st.map, tip = L.tooltip({sticky: true, direction: "auto"}), hovered = null, frame = 0;
    // a click that no per-feature layer took (their popups stop the event) reaches the map
    map.on("click", function (ev) {
      if (ev.originalEvent && ev.originalEvent._luBulk) { return; }  // opened by LU.bulkClick
      if (st.measuring) { return; }  // the measure tool takes the clicks
      var hit = pick(st, ev.latlng);
      if (hit) { openPopup(st, hit, ev.latlng); }
    });
    map.getContainer().addEventListener("mousemove", function (ev) {
      if (frame) { return; }
      frame = requestAnimationFrame(function () {
        frame = 0;
        if (!map._loaded || map._animatingZoom) { return; }
        var latlng = map.mouseEventToLatLng(ev), hit = pick(st, latlng);
        var key = hit ? hit.entry.spec.name + ":" + hit.index : null;
        if (!hit) {
          if (hovered) { map.closeTooltip(tip); hovered = null; }
          return;
        }
        if (key !== hovered) { tip.setContent(LU.tooltipNode(hit.entry.spec, hit.index)); hovered = key; }
        map.openTooltip(tip, latlng);
        // the feature drawn on top has the tooltip: close those of per-feature layers below
        var top = st.layers.indexOf(hit.entry);
        for (var k = 0; k < top; k++) {
          var g = st.layers[k].group;
          if (!st.layers[k].bulk && g.isTooltipOpen && g.isTooltipOpen()) { g.closeTooltip(); }
        }
      });
    });
  }

  // Called by LU.addLayer for a packed spec: returns the group at once, draws once inflated.
  LU.addBulkLayer = function (st, group, spec) {
    var map = st.map;
    if (!map.getPane("luBulk")) {
      // below Leaflet's overlay pane: outlines, lines and points stay on top of bulk fills
      map.createPane("luBulk").style.zIndex = 390;
    }
    var entry = {spec: spec, group: group, features: [], bulk: true, drawn: 0};
    entry.feature = function (i) { return feature(entry, i); };
    st.layers.push(entry);
    listen(st);
    var now = function () { return window.performance ? performance.now() : 0; };
    entry.timing = {start: now()};  // ms since navigation start, for benchmarks
    var texts = spec.packed.el ? document.getElementById(spec.packed.el).textContent.split(",")
                               : [spec.packed, spec.packedGeoms];
    var ready = Promise.all([LU.inflate(texts[0]).text(), LU.inflate(texts[1]).arrayBuffer()]);
    ready = ready.then(function (parts) {
      var body = JSON.parse(parts[0]);
      entry.timing.inflated = now();
      spec.data = body.data; spec.cls = body.cls;
      spec.geoms = {length: spec.cls.length};  // LU.search loops over spec.geoms.length
      delete spec.packed; delete spec.packedGeoms;
      build(entry, parts[1]);
      entry.timing.built = now();
      entry.renderer = new BulkRenderer(entry, {pane: "luBulk", padding: 0.1});
      group.addLayer(entry.renderer);
      entry.timing.drawn = now();
    });
    (st.pending = st.pending || []).push(ready);
    return group;
  };
})();
