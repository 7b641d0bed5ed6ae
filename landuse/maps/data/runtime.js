/* landuse map runtime: compact layers, popups, legend, search (no dependencies but Leaflet).
 *
 * Layers arrive as JSON built by landuse.maps: geometries as polyline-encoded rings
 * (precision 1e-6 degree, Google's encoded polyline algorithm), attributes column by
 * column. Every attribute value is written into the page with textContent, never
 * innerHTML, so a name that contains HTML markup is shown as text.
 */
(function () {
  "use strict";
  var LU = window.landuse = window.landuse || {};
  LU.maps = LU.maps || [];

  // Decode one polyline-encoded ring into [[lat, lng], ...] (precision 1e-6).
  function decode(str) {
    var pts = [], i = 0, lat = 0, lng = 0, n = str.length, b, shift, result;
    while (i < n) {
      shift = 0; result = 0;
      do { b = str.charCodeAt(i++) - 63; result |= (b & 31) << shift; shift += 5; } while (b >= 32);
      lat += (result & 1) ? ~(result >>> 1) : (result >>> 1);
      shift = 0; result = 0;
      do { b = str.charCodeAt(i++) - 63; result |= (b & 31) << shift; shift += 5; } while (b >= 32);
      lng += (result & 1) ? ~(result >>> 1) : (result >>> 1);
      pts.push([lat / 1e6, lng / 1e6]);
    }
    return pts;
  }
  LU.decode = decode;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function value(col, i) {
    // Columns are plain arrays or dictionary encoded {d: [...values], c: [...codes]}.
    if (Array.isArray(col)) { return col[i]; }
    var code = col.c[i];
    return code < 0 ? null : col.d[code];
  }

  function state(map) {
    for (var k = 0; k < LU.maps.length; k++) {
      if (LU.maps[k].map === map) { return LU.maps[k]; }
    }
    var s = {map: map, layers: []};
    LU.maps.push(s);
    return s;
  }

  function popupNode(spec, i) {
    var box = el("div", "lu-popup");
    box.appendChild(el("div", "lu-popup-title", spec.title[0] + (spec.title[1] ? " · " + spec.title[1] : "")));
    var table = el("table");
    for (var c = 0; c < spec.cols.length; c++) {
      var v = value(spec.data[c], i);
      if (v === null || v === undefined || v === "") { continue; }
      var meta = spec.cols[c];
      var tr = el("tr");
      var th = el("th");
      th.appendChild(el("span", "lu-en", meta[1]));
      if (meta[2]) { th.appendChild(el("span", "lu-lo", meta[2])); }
      tr.appendChild(th);
      tr.appendChild(el("td", null, v));
      table.appendChild(tr);
    }
    box.appendChild(table);
    return box;
  }

  function tooltipNode(spec, i) {
    var text = spec.tip >= 0 ? value(spec.data[spec.tip], i) : "";
    var cls = spec.classes[spec.cls[i]];
    var parts = [];
    if (text !== null && text !== undefined && text !== "") { parts.push(String(text)); }
    if (cls && spec.legendInTip) { parts.push(cls[1] + (cls[2] ? " · " + cls[2] : "")); }
    return el("span", null, parts.join(" — "));
  }
  LU.popupNode = popupNode;
  LU.tooltipNode = tooltipNode;

  // Add one compact layer to a Leaflet FeatureGroup.
  LU.addLayer = function (map, group, spec) {
    var st = state(map);
    if (spec.packed) { return LU.addBulkLayer(st, group, spec); }  // a large layer: _map_bulk.js
    // a click on one of these features goes to a bulk layer drawn above it, if any
    var order = st.layers.length;
    group.on("click", function (ev) { if (LU.bulkClick) { LU.bulkClick(st, ev, order); } });
    var renderer = st.renderer || (st.renderer = L.canvas({padding: 0.3, tolerance: 3}));
    var n = spec.geoms.length;
    var styles = spec.classes.map(function (c) {
      var s = {renderer: renderer, color: spec.stroke || c[0], weight: spec.weight,
               opacity: 1, fillColor: c[0], fillOpacity: spec.fillOpacity};
      if (spec.kind === "line") { s.color = c[0]; s.fill = false; }
      // Outline-only layers (village boundaries) react on their line only, so that they
      // never take the clicks meant for the parcels inside them.
      if (!spec.fillOpacity) { s.fill = false; }
      return s;
    });
    var features = new Array(n);
    for (var i = 0; i < n; i++) {
      var g = spec.geoms[i];
      if (g === null) { continue; }
      var style = styles[spec.cls[i]], layer;
      if (g[0] === 0) {
        var polys = g[1], latlngs = new Array(polys.length);
        for (var p = 0; p < polys.length; p++) { latlngs[p] = polys[p].map(decode); }
        layer = L.polygon(latlngs, style);
      } else if (g[0] === 1) {
        layer = L.polyline(g[1].map(decode), style);
      } else {
        var pt = L.extend({}, style, {radius: spec.radius, fillOpacity: 0.9, color: "#222", weight: 1});
        var pts = [];
        for (var q = 0; q + 1 < g[1].length; q += 2) {
          var marker = L.circleMarker([g[1][q] / 1e6, g[1][q + 1] / 1e6], pt);
          marker._luIndex = i;
          pts.push(marker);
        }
        layer = pts.length === 1 ? pts[0] : L.featureGroup(pts);
      }
      layer._luIndex = i;
      group.addLayer(layer);
      features[i] = layer;
    }
    // One tooltip and one popup for the whole layer: content is built on demand from the
    // feature under the pointer (much faster than binding 10,000 of each).
    // The tooltip is bound once the group is on the map: bound earlier, Leaflet would
    // re-scan every feature each time one is added (quadratic time).
    group.once("add", function () {
      group.bindTooltip(function (layer) { return tooltipNode(spec, layer._luIndex); }, {sticky: true});
    });
    // (not when a bulk layer drawn above takes the click, see _map_bulk.js)
    group._openPopup = function (ev) {
      if (!(ev.originalEvent && ev.originalEvent._luBulk)) { L.Layer.prototype._openPopup.call(this, ev); }
    };
    group.bindPopup(function (layer) { return popupNode(spec, layer._luIndex); }, {maxWidth: 360});
    st.layers.push({spec: spec, group: group, features: features});
    return group;
  };

  function legendSection(entry) {
    var spec = entry.spec;
    var sec = el("div", "lu-legend-section");
    sec.appendChild(el("div", "lu-legend-title", spec.title[0] + (spec.title[1] ? " · " + spec.title[1] : "")));
    if (spec.legendCaption) { sec.appendChild(el("div", "lu-legend-caption", spec.legendCaption)); }
    var shown = spec.classes.length > spec.legendMax + 1 ? spec.legendMax : spec.classes.length;
    for (var k = 0; k < shown; k++) {
      var c = spec.classes[k];
      var row = el("div", "lu-legend-row");
      var sw = el("span", "lu-swatch lu-swatch-" + spec.kind);
      sw.style.background = (spec.kind === "line" || !spec.fillOpacity) ? "transparent" : c[0];
      sw.style.borderColor = spec.kind === "line" ? c[0] : (spec.stroke || c[0]);
      row.appendChild(sw);
      row.appendChild(el("span", "lu-en", c[1]));
      if (c[2]) { row.appendChild(el("span", "lu-lo", c[2])); }
      sec.appendChild(row);
    }
    if (shown < spec.classes.length) {
      var rest = spec.classes.length - shown;
      sec.appendChild(el("div", "lu-legend-caption", "… and " + rest + " more · ແລະ ອີກ " + rest));
    }
    return sec;
  }

  function legendControl(st) {
    var Legend = L.Control.extend({
      options: {position: "bottomright"},
      onAdd: function () {
        var box = L.DomUtil.create("div", "lu-legend leaflet-bar");
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        this._box = box;
        this.update();
        return box;
      },
      update: function () {
        var box = this._box;
        while (box.firstChild) { box.removeChild(box.firstChild); }
        st.layers.forEach(function (entry) {
          if (st.map.hasLayer(entry.group) && entry.spec.classes.length) { box.appendChild(legendSection(entry)); }
        });
        box.style.display = box.firstChild ? "" : "none";
      }
    });
    var legend = new Legend();
    legend.addTo(st.map);
    st.map.on("overlayadd overlayremove layeradd layerremove", function () { legend.update(); });
    return legend;
  }

  function normalise(text) { return String(text).trim().toLowerCase(); }

  // The features (ascending) whose column c equals the normalised query: a dictionary
  // column compares its few distinct values, then the codes; a plain column keeps its
  // normalised values after the first search (a province's 200,000 ids: a few ms).
  function matches(entry, c, q) {
    var col = entry.spec.data[c], n = entry.spec.geoms.length, out = [], i;
    if (!Array.isArray(col)) {
      var hit = {};
      for (i = 0; i < col.d.length; i++) { if (col.d[i] !== null && normalise(col.d[i]) === q) { hit[i] = true; } }
      for (i = 0; i < n; i++) { if (hit[col.c[i]] === true) { out.push(i); } }
      return out;
    }
    entry.norm = entry.norm || {};
    var norm = entry.norm[c];
    if (!norm) {
      norm = entry.norm[c] = new Array(n);
      for (i = 0; i < n; i++) { norm[i] = col[i] === null || col[i] === undefined ? null : normalise(col[i]); }
    }
    for (i = 0; i < n; i++) { if (norm[i] === q) { out.push(i); } }
    return out;
  }

  // Find features whose id columns equal the query (case-insensitive).
  LU.search = function (map, query) {
    var st = state(map), q = normalise(query), found = [];
    if (!q) { return found; }
    st.layers.forEach(function (entry) {
      entry.spec.search.forEach(function (c) {
        matches(entry, c, q).forEach(function (i) {
          var layer = entry.feature ? entry.feature(i) : entry.features[i];
          if (layer) { found.push({entry: entry, layer: layer}); }
        });
      });
    });
    if (found.length) {
      var bounds = L.latLngBounds([]);
      found.forEach(function (f) {
        if (!map.hasLayer(f.entry.group)) { map.addLayer(f.entry.group); }
        bounds.extend(f.layer.getBounds ? f.layer.getBounds() : L.latLngBounds([f.layer.getLatLng()]));
      });
      map.fitBounds(bounds, {maxZoom: 18, padding: [40, 40], animate: false});
      var first = found[0], centre = first.layer.getBounds ? first.layer.getBounds().getCenter()
                                                                : first.layer.getLatLng();
      if (first.layer.getBounds && first.layer.getLatLngs && first.layer.options.fill !== false) {
        // a point inside the polygon for the popup tip (the centre may lie outside)
        centre = first.layer.getCenter ? first.layer.getCenter() : centre;
      }
      L.popup({maxWidth: 360}).setLatLng(centre)
        .setContent(popupNode(first.entry.spec, first.layer._luIndex)).openOn(map);
    }
    return found;
  };

  function searchControl(st, labels) {
    var Search = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function (map) {
        var box = L.DomUtil.create("div", "lu-search leaflet-bar");
        L.DomEvent.disableClickPropagation(box);
        var input = el("input");
        input.type = "search";
        input.placeholder = labels[0];
        input.title = labels[0] + " · " + labels[1];
        input.setAttribute("aria-label", labels[0]);
        var msg = el("div", "lu-search-msg");
        box.appendChild(input);
        box.appendChild(msg);
        var run = function () {
          var hits = LU.search(map, input.value);
          if (!input.value.trim()) { msg.textContent = ""; return; }
          msg.textContent = hits.length ? hits.length + " found · ພົບ " + hits.length
                                        : "Not found · ບໍ່ພົບ";
        };
        input.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { run(); } });
        input.addEventListener("search", run);
        return box;
      }
    });
    new Search().addTo(st.map);
  }

  function titleControl(st, title) {
    var Title = L.Control.extend({
      options: {position: "topright"},
      onAdd: function () { return el("div", "lu-title", title); }
    });
    new Title().addTo(st.map);
  }

  // Called once before the layers: set the view first, so features are projected once.
  LU.start = function (map, opts) {
    if (opts.bounds) { map.fitBounds(opts.bounds, {animate: false}); }
  };

  // Called once after all layers: bounds, legend, search box, title.
  LU.finish = function (map, opts) {
    var st = state(map);
    if (st.pending) {  // bulk layers are inflated asynchronously: finish once they are drawn
      var pending = st.pending;
      st.pending = null;
      Promise.all(pending).then(function () { LU.finish(map, opts); }, function (err) {
        var box = el("div", "lu-title", "This map needs a newer browser (Chrome 80, Firefox 113, " +
                     "Safari 16.4): " + err);
        map.getContainer().appendChild(box);
      });
      return;
    }
    L.control.scale({imperial: false, maxWidth: 160}).addTo(map);
    if (opts.title) { titleControl(st, opts.title); }
    if (opts.search) { searchControl(st, opts.searchLabels); }
    st.legend = legendControl(st);
    LU.readyAt = window.performance ? performance.now() : null;  // ms since navigation start
    map.getContainer().setAttribute("data-landuse-ready", "1");
    if (opts.search) {  // once drawn: prepare the search of the big layers while the user looks
      setTimeout(function () {
        st.layers.forEach(function (e) { if (e.bulk) { e.spec.search.forEach(function (c) { matches(e, c, "\u0000"); }); } });
      }, 0);
    }
  };
})();
