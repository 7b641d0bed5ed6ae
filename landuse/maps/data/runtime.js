/* landuse map runtime: compact layers, popups, legend, search, village labels, print view,
 * UTM readout and measuring (no dependencies but Leaflet).
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

  // Lao first, English beside it (issue 18): "ຕອນດິນ · Parcels".
  function bi(en, lo) { return lo ? lo + " · " + en : String(en); }
  LU.bi = bi;

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

  // A relative link from the data: each path segment percent-encoded, so no value can
  // become a "javascript:" URL or leave the relative path.
  function safeHref(v) { return String(v).split("/").map(encodeURIComponent).join("/"); }

  function linkText(spec, c) {
    for (var k = 0; k < (spec.links || []).length; k++) { if (spec.links[k][0] === c) { return spec.links[k][1]; } }
    return null;
  }

  function popupNode(spec, i) {
    var box = el("div", "lu-popup");
    box.appendChild(el("div", "lu-popup-title", bi(spec.title[0], spec.title[1])));
    var table = el("table");
    for (var c = 0; c < spec.cols.length; c++) {
      var v = value(spec.data[c], i);
      if (v === null || v === undefined || v === "") { continue; }
      var meta = spec.cols[c], tr = el("tr"), text = linkText(spec, c);
      if (text !== null) {
        var td = el("td"), a = el("a", "lu-link", text);
        td.colSpan = 2;
        a.href = safeHref(v);
        a.target = "_blank";
        a.rel = "noopener";
        td.appendChild(a);
        tr.appendChild(td);
        table.appendChild(tr);
        continue;
      }
      var th = el("th");
      if (meta[2]) { th.appendChild(el("span", "lu-lo", meta[2])); }
      th.appendChild(el("span", "lu-en", meta[1]));
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
    if (cls && spec.legendInTip) { parts.push(bi(cls[1], cls[2])); }
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
    // Classes drawn as dashed outlines that take no click (catchments: they cover the
    // parcels of a whole valley, and a click there means the parcel).
    (spec.outline || []).forEach(function (k) {
      styles[k] = L.extend({}, styles[k], {fill: false, interactive: false, dashArray: "6 4", weight: 1.5,
                                           color: spec.classes[k][0] === "#c6dbef" ? "#4a90c2" : spec.classes[k][0]});
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
    if (spec.labels) { labelLayer(map, group, spec); }
    return group;
  };

  // Village labels (Lao above English): shown with their layer; a click opens the
  // village's popup, which the parcels and zones drawn above the village leave no room for.
  function labelLayer(map, group, spec) {
    if (!map.getPane("luLabels")) { map.createPane("luLabels").style.zIndex = 450; }
    var labels = L.layerGroup();
    spec.labels.forEach(function (lab) {
      var node = el("div", "lu-label-text");
      if (lab[3]) { node.appendChild(el("div", "lu-lo", lab[3])); }
      if (lab[4]) { node.appendChild(el("div", "lu-en", lab[4])); }
      var icon = L.divIcon({className: "lu-label", html: node, iconSize: null});
      var marker = L.marker([lab[1], lab[2]], {icon: icon, pane: "luLabels", keyboard: false});
      marker.on("click", function (ev) {
        L.DomEvent.stopPropagation(ev);
        L.popup({maxWidth: 360}).setLatLng(ev.latlng).setContent(popupNode(spec, lab[0])).openOn(map);
      });
      labels.addLayer(marker);
    });
    group.on("add", function () { map.addLayer(labels); });
    group.on("remove", function () { map.removeLayer(labels); });
    if (map.hasLayer(group)) { map.addLayer(labels); }
  }

  // A box that starts collapsed on a phone (CSS, max-width 640px) behind a toggle button.
  function collapsible(box, label) {
    box.classList.add("lu-collapsible");
    var btn = el("button", "lu-toggle", label);
    btn.type = "button";
    btn.setAttribute("aria-expanded", "false");
    btn.addEventListener("click", function (ev) {
      ev.stopPropagation();
      var open = box.classList.toggle("lu-open");
      btn.setAttribute("aria-expanded", open ? "true" : "false");
    });
    box.insertBefore(btn, box.firstChild);
    return btn;
  }

  function legendSection(entry) {
    var spec = entry.spec;
    var sec = el("div", "lu-legend-section");
    sec.appendChild(el("div", "lu-legend-title", bi(spec.title[0], spec.title[1])));
    if (spec.legendCaption) { sec.appendChild(el("div", "lu-legend-caption", spec.legendCaption)); }
    if (spec.legendRows === false) { return sec; }  // many households: the caption says how to read it
    var shown = spec.classes.length > spec.legendMax + 1 ? spec.legendMax : spec.classes.length;
    for (var k = 0; k < shown; k++) {
      var c = spec.classes[k];
      var row = el("div", "lu-legend-row");
      var sw = el("span", "lu-swatch lu-swatch-" + spec.kind);
      var outline = (spec.outline || []).indexOf(k) >= 0;
      sw.style.background = (spec.kind === "line" || !spec.fillOpacity || outline) ? "transparent" : c[0];
      sw.style.borderColor = spec.kind === "line" ? c[0] : (spec.stroke || c[0]);
      if (outline) { sw.style.borderStyle = "dashed"; }
      row.appendChild(sw);
      if (c[2]) { row.appendChild(el("span", "lu-lo", c[2])); }
      row.appendChild(el("span", "lu-en", c[1]));
      sec.appendChild(row);
    }
    if (shown < spec.classes.length) {
      var rest = spec.classes.length - shown;
      sec.appendChild(el("div", "lu-legend-caption", "ແລະ ອີກ " + rest + " · and " + rest + " more"));
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
        this._body = el("div", "lu-body");
        box.appendChild(this._body);
        collapsible(box, "ຄຳອະທິບາຍ · Legend");
        this._box = box;
        this.update();
        return box;
      },
      update: function () {
        var body = this._body;
        while (body.firstChild) { body.removeChild(body.firstChild); }
        st.layers.forEach(function (entry) {
          if (st.map.hasLayer(entry.group) && entry.spec.classes.length) { body.appendChild(legendSection(entry)); }
        });
        this._box.style.display = body.firstChild ? "" : "none";
      }
    });
    var legend = new Legend();
    legend.addTo(st.map);
    st.map.on("overlayadd overlayremove layeradd layerremove", function () { legend.update(); });
    return legend;
  }

  // -- search --------------------------------------------------------------------------
  // Text as compared by the search: compatibility decomposition (NFKD), combining Latin
  // marks (U+0300-U+036F) and Lao tone marks and the cancellation mark (U+0EC8-U+0ECC)
  // dropped, lower case, runs of spaces as one. So "Phonsavanh" finds "Phônsavanh", and
  // "ພອນສະຫວນ" (typed without tone marks) finds "ພອນສະຫວັນ" only when the vowels agree.
  function fold(text) {
    return String(text).normalize("NFKD").replace(/[\u0300-\u036f\u0ec8-\u0ecc]/g, "")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }
  LU.fold = fold;

  // The features (ascending) whose column c contains the folded query: a dictionary
  // column compares its few distinct values, then the codes; a plain column keeps its
  // folded values after the first search (a province's 200,000 ids: a few ms).
  function matches(entry, c, q) {
    var col = entry.spec.data[c], n = entry.spec.geoms.length, out = [], i;
    if (!Array.isArray(col)) {
      var hit = {};
      for (i = 0; i < col.d.length; i++) { if (col.d[i] !== null && fold(col.d[i]).indexOf(q) >= 0) { hit[i] = true; } }
      for (i = 0; i < n; i++) { if (hit[col.c[i]] === true) { out.push(i); } }
      return out;
    }
    entry.norm = entry.norm || {};
    var norm = entry.norm[c];
    if (!norm) {
      norm = entry.norm[c] = new Array(n);
      for (i = 0; i < n; i++) { norm[i] = col[i] === null || col[i] === undefined ? null : fold(col[i]); }
    }
    for (i = 0; i < n; i++) { if (norm[i] !== null && norm[i].indexOf(q) >= 0) { out.push(i); } }
    return out;
  }

  function feature(entry, i) { return entry.feature ? entry.feature(i) : entry.features[i]; }

  function colValue(spec, name, i) {
    for (var c = 0; c < spec.cols.length; c++) { if (spec.cols[c][0] === name) { return value(spec.data[c], i); } }
    return null;
  }

  // Everything the query (part of a name, id or village code) finds, one result per
  // household, parcel or village: [{key, kind, entry, indices, label}]. Of several layers
  // holding the same household or parcel, the best-ranked one (spec.rank: the current
  // allocation before the parcels' old holders) gives the features.
  LU.search = function (map, query) {
    var st = state(map), q = fold(query), groups = {}, keys = [];
    if (!q) { return []; }
    st.layers.forEach(function (entry) {
      (entry.spec.search || []).forEach(function (s) {
        var c = s[0], kind = s[1], keyCol = s[2], data = entry.spec.data;
        matches(entry, c, q).forEach(function (i) {
          if (!feature(entry, i)) { return; }
          var key = kind === "f" ? "f:" + entry.spec.name + ":" + i : kind + ":" + value(data[keyCol], i);
          var g = groups[key];
          if (!g) { g = groups[key] = {key: key, kind: kind, entry: entry, indices: [], seen: {}, exact: false}; keys.push(key); }
          if (entry.spec.rank < g.entry.spec.rank) { g.entry = entry; g.indices = []; g.seen = {}; g.exact = false; }
          if (entry !== g.entry || g.seen[i]) { return; }
          g.seen[i] = true;
          g.indices.push(i);
          if (fold(value(data[c], i)) === q) { g.exact = true; }
        });
      });
    });
    var kindOrder = {v: 0, h: 1, p: 2, f: 3};
    var out = keys.map(function (k) { var g = groups[k]; delete g.seen; g.indices.sort(function (a, b) { return a - b; }); return g; });
    out.sort(function (a, b) {
      return (b.exact - a.exact) || (kindOrder[a.kind] - kindOrder[b.kind]) ||
             (a.entry.spec.rank - b.entry.spec.rank) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    });
    out.forEach(function (g) { g.label = groupLabel(g); });
    return out;
  };

  function groupLabel(g) {
    var spec = g.entry.spec, i = g.indices[0], get = function (name) { return colValue(spec, name, i); };
    var join = function (parts) { return parts.filter(function (p) { return p; }).join(" · "); };
    var n = g.indices.length, where = " [" + bi(spec.title[0], spec.title[1]) + "]";
    if (g.kind === "v") { return join([get("name_lo"), get("name_en")]) + " — " + get("village_id"); }
    if (g.kind === "h") {
      var names = join([get("head_name_lo"), get("head_name")]);
      return (names ? names + " — " : "") + get("household_id") + " (" + n + " ຕອນ · plots)" + where;
    }
    if (g.kind === "p") { return join([get("parcel_id"), get("certificate_no"), get("head_name_lo")]) + where; }
    return bi(spec.title[0], spec.title[1]) + ": " + (spec.tip >= 0 ? value(spec.data[spec.tip], i) : i);
  }

  function outline(f) {
    var style = {pane: "luHighlight", interactive: false, color: "#00e5ff", weight: 4, opacity: 1, fill: false};
    if (f.getRings) { return L.polygon(f.getRings(), style); }  // a bulk feature
    if (f instanceof L.Polygon) { return L.polygon(f.getLatLngs(), style); }
    if (f instanceof L.Polyline) { return L.polyline(f.getLatLngs(), style); }
    if (f.getLatLng) { return L.circleMarker(f.getLatLng(), L.extend({}, style, {radius: 11})); }
    var grp = L.featureGroup();
    if (f.eachLayer) { f.eachLayer(function (l) { grp.addLayer(outline(l)); }); }
    return grp;
  }

  // Outlines of search results and measurements: above the features, under the labels;
  // its canvas lets every click through to the features below.
  function highlightPane(map) {
    var pane = map.createPane("luHighlight");
    pane.style.zIndex = 440;
    pane.style.pointerEvents = "none";
    return pane;
  }

  // Zoom to a search result, outline its features (in their own pane: no layer is
  // switched on) and open the popup of the first.
  LU.choose = function (map, g) {
    var st = state(map), bounds = L.latLngBounds([]), shown = [];
    if (!map.getPane("luHighlight")) { highlightPane(map); }
    if (!st.highlight) { st.highlight = L.featureGroup().addTo(map); }
    st.highlight.clearLayers();
    g.indices.forEach(function (i) {
      var f = feature(g.entry, i);
      if (!f) { return; }
      shown.push(f);
      bounds.extend(f.getBounds ? f.getBounds() : L.latLngBounds([f.getLatLng()]));
      st.highlight.addLayer(outline(f));
    });
    if (!shown.length) { return; }
    map.fitBounds(bounds, {maxZoom: 18, padding: [40, 40], animate: false});
    var first = shown[0], centre = first.getCenter ? first.getCenter()
      : (first.getBounds ? first.getBounds().getCenter() : first.getLatLng());
    L.popup({maxWidth: 360}).setLatLng(centre).setContent(popupNode(g.entry.spec, first._luIndex)).openOn(map);
    st.highlighted = {layer: g.entry.spec.name, key: g.key, indices: g.indices.slice()};
  };

  function searchControl(st, labels) {
    var Search = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function (map) {
        var box = L.DomUtil.create("div", "lu-search leaflet-bar");
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var input = el("input");
        input.type = "search";
        input.placeholder = labels[1] + " · " + labels[0];
        input.title = labels[1] + " · " + labels[0];
        input.setAttribute("aria-label", labels[0]);
        var msg = el("div", "lu-search-msg"), list = el("ul", "lu-search-list"), timer = 0;
        box.appendChild(input);
        box.appendChild(msg);
        box.appendChild(list);
        var pick = function (g, li) {
          LU.choose(map, g);
          Array.prototype.forEach.call(list.children, function (x) { x.classList.remove("lu-active"); });
          if (li) { li.classList.add("lu-active"); }
        };
        var run = function (choose) {
          while (list.firstChild) { list.removeChild(list.firstChild); }
          if (!input.value.trim()) { msg.textContent = ""; return; }
          var groups = LU.search(map, input.value), n = groups.length;
          msg.textContent = n ? "ພົບ " + n + " · " + n + " found" : "ບໍ່ພົບ · Not found";
          groups.slice(0, 100).forEach(function (g) {
            var li = el("li", null, g.label);
            li.tabIndex = 0;
            li.addEventListener("click", function () { pick(g, li); });
            li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { pick(g, li); } });
            list.appendChild(li);
          });
          if (n > 100) { list.appendChild(el("li", "lu-more", "… " + (n - 100))); }
          if (choose && n) { pick(groups[0], list.firstChild); }
        };
        input.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { clearTimeout(timer); run(true); } });
        input.addEventListener("input", function () {
          clearTimeout(timer);
          timer = setTimeout(function () { run(false); }, 250);
        });
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

  // -- UTM coordinates ---------------------------------------------------------------
  // Transverse Mercator on the WGS 84 ellipsoid by Krüger's series in the third
  // flattening n to order n^6, as given by C. F. F. Karney, "Transverse Mercator with an
  // accuracy of a few nanometers", J. Geodesy 85 (2011) 475-485, eqs. (7)-(11) and (35)
  // (see also J. P. Snyder, Map Projections: A Working Manual, USGS PP 1395, 1987, §8).
  // UTM: scale k0 = 0.9996 on the central meridian 6 zone - 183 degrees, false easting
  // 500 km, false northing 10,000 km in the south. Well under 1 mm within a zone.
  var WGS84_A = 6378137, WGS84_F = 1 / 298.257223563, UTM_K0 = 0.9996;
  var TM = (function (n) {
    var n2 = n * n, n3 = n2 * n, n4 = n3 * n, n5 = n4 * n, n6 = n5 * n;
    return {
      e: 2 * Math.sqrt(n) / (1 + n),  // first eccentricity, sqrt(f (2 - f))
      A: WGS84_A / (1 + n) * (1 + n2 / 4 + n4 / 64 + n6 / 256),  // rectifying radius
      alpha: [
        n / 2 - 2 * n2 / 3 + 5 * n3 / 16 + 41 * n4 / 180 - 127 * n5 / 288 + 7891 * n6 / 37800,
        13 * n2 / 48 - 3 * n3 / 5 + 557 * n4 / 1440 + 281 * n5 / 630 - 1983433 * n6 / 1935360,
        61 * n3 / 240 - 103 * n4 / 140 + 15061 * n5 / 26880 + 167603 * n6 / 181440,
        49561 * n4 / 161280 - 179 * n5 / 168 + 6601661 * n6 / 7257600,
        34729 * n5 / 80640 - 3418889 * n6 / 1995840,
        212378941 * n6 / 319334400
      ]
    };
  })(WGS84_F / (2 - WGS84_F));

  // [easting, northing, point scale k] in metres of (lat, lon) degrees in a UTM zone.
  LU.utm = function (lat, lon, zone, south) {
    var phi = lat * Math.PI / 180, lam = (lon - (6 * zone - 183)) * Math.PI / 180, e = TM.e;
    var t = Math.sinh(Math.atanh(Math.sin(phi)) - e * Math.atanh(e * Math.sin(phi)));  // tan conformal lat.
    var xi1 = Math.atan2(t, Math.cos(lam)), eta1 = Math.atanh(Math.sin(lam) / Math.sqrt(1 + t * t));
    var xi = xi1, eta = eta1, p = 1, q = 0;
    for (var j = 1; j <= 6; j++) {
      var a = TM.alpha[j - 1];
      xi += a * Math.sin(2 * j * xi1) * Math.cosh(2 * j * eta1);
      eta += a * Math.cos(2 * j * xi1) * Math.sinh(2 * j * eta1);
      p += 2 * j * a * Math.cos(2 * j * xi1) * Math.cosh(2 * j * eta1);
      q += 2 * j * a * Math.sin(2 * j * xi1) * Math.sinh(2 * j * eta1);
    }
    // point scale, Karney (2011) eqs. (25)-(28)
    var tp = Math.tan(phi), k = UTM_K0 * TM.A / WGS84_A *
      Math.sqrt((1 + (1 - e * e) * tp * tp) * (p * p + q * q) / (t * t + Math.pow(Math.cos(lam), 2)));
    return [500000 + UTM_K0 * TM.A * eta, (south ? 10000000 : 0) + UTM_K0 * TM.A * xi, k];
  };

  // Length of the path and area of the polygon through latlngs, on the ground: each UTM
  // grid length divided by the point scale at its middle, the grid area by the mean
  // scale squared (off by < 1e-6 relative over a village). [m], [m^2]
  LU.measure = function (latlngs, zone, south) {
    var pts = latlngs.map(function (ll) { ll = L.latLng(ll); return LU.utm(ll.lat, ll.lng, zone, south); });
    var length = 0, area = 0, ksum = 0;
    for (var i = 0; i < pts.length; i++) {
      ksum += pts[i][2];
      if (i > 0) {
        var a = pts[i - 1], b = pts[i], km = (a[2] + b[2]) / 2;
        length += Math.sqrt(Math.pow(b[0] - a[0], 2) + Math.pow(b[1] - a[1], 2)) / km;
      }
      var nx = pts[(i + 1) % pts.length];
      area += pts[i][0] * nx[1] - nx[0] * pts[i][1];
    }
    var k = pts.length ? ksum / pts.length : 1;
    return {length_m: length, area_m2: pts.length >= 3 ? Math.abs(area) / 2 / (k * k) : 0};
  };

  function fmt(x, digits) {
    return x.toFixed(digits).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
  }

  function utmControl(st, utm) {
    var map = st.map, zone = utm[0] + (utm[1] ? "S" : "N");
    var Readout = L.Control.extend({
      options: {position: "bottomleft"},
      onAdd: function () {
        var box = el("div", "lu-utm");
        var show = function (ll) {
          var en = LU.utm(ll.lat, ll.lng, utm[0], utm[1]);
          box.textContent = "UTM " + zone + "  E " + fmt(en[0], 0) + "  N " + fmt(en[1], 0);
        };
        map.on("mousemove", function (ev) { show(ev.latlng); });
        map.on("moveend", function () { show(map.getCenter()); });
        show(map.getCenter());
        return box;
      }
    });
    new Readout().addTo(map);
  }

  function northArrow(st) {
    var North = L.Control.extend({
      options: {position: "bottomleft"},
      onAdd: function () {
        var box = el("div", "lu-north"), ns = "http://www.w3.org/2000/svg";
        var svg = document.createElementNS(ns, "svg");
        svg.setAttribute("viewBox", "0 0 20 26");
        svg.setAttribute("width", "20");
        svg.setAttribute("height", "26");
        var path = document.createElementNS(ns, "path");
        path.setAttribute("d", "M10 0 L18 24 L10 18 L2 24 Z");
        path.setAttribute("fill", "#222");
        svg.appendChild(path);
        box.appendChild(svg);
        box.appendChild(el("div", null, "ເໜືອ N"));
        box.title = "ທິດເໜືອ · North";
        return box;
      }
    });
    new North().addTo(st.map);
  }

  // -- tools: measure, print -------------------------------------------------------------
  function measureTool(st, utm, panel, button) {
    var map = st.map, pts = [], line = null, dots = L.layerGroup();
    var out = el("div", "lu-measure-out");
    var clear = el("button", null, "ລຶບ · Clear");
    clear.type = "button";
    var update = function () {
      if (line) { map.removeLayer(line); }
      line = pts.length >= 3 ? L.polygon(pts, {pane: "luHighlight", interactive: false, color: "#d7191c", weight: 2, dashArray: "5 4", fillOpacity: 0.1})
                             : L.polyline(pts, {pane: "luHighlight", interactive: false, color: "#d7191c", weight: 2, dashArray: "5 4"});
      line.addTo(map);
      var r = LU.measure(pts, utm[0], utm[1]);
      out.textContent = pts.length < 2 ? "ກົດໃສ່ແຜນທີ່ · Click on the map"
        : "ຍາວ · Length " + fmt(r.length_m, 1) + " m" +
          (pts.length >= 3 ? " — ເນື້ອທີ່ · Area " + fmt(r.area_m2 / 1e4, 3) + " ha (" + fmt(r.area_m2, 0) + " m²)" : "");
    };
    clear.addEventListener("click", function () { pts = []; dots.clearLayers(); update(); });
    panel.appendChild(out);
    panel.appendChild(clear);
    map.on("click", function (ev) {
      if (!st.measuring) { return; }
      pts.push(ev.latlng);
      dots.addLayer(L.circleMarker(ev.latlng, {pane: "luHighlight", interactive: false, radius: 3, color: "#d7191c"}));
      update();
    });
    button.addEventListener("click", function () {
      st.measuring = !st.measuring;
      if (!map.getPane("luHighlight")) { highlightPane(map); }
      map.getContainer().classList.toggle("lu-measuring", st.measuring);
      panel.style.display = st.measuring ? "" : "none";
      button.classList.toggle("lu-active", st.measuring);
      if (st.measuring) { map.doubleClickZoom.disable(); map.closePopup(); dots.addTo(map); update(); }
      else { map.doubleClickZoom.enable(); pts = []; dots.clearLayers(); if (line) { map.removeLayer(line); line = null; } }
    });
  }

  var PAPER = {A4: [210, 297], A3: [297, 420]};

  // Lay the page out for printing: the map sized to the paper (10 mm margins), showing
  // what the screen showed; @media print in runtime.css hides the controls.
  LU.printView = function (map, paper, orientation) {
    var st = state(map), d = PAPER[paper] || PAPER.A4, land = orientation === "landscape";
    var w = (land ? d[1] : d[0]) - 20, h = (land ? d[0] : d[1]) - 20 - 12;  // 12 mm for the title
    var style = document.getElementById("lu-page-style") || document.head.appendChild(el("style"));
    style.id = "lu-page-style";
    style.textContent = "@page { size: " + paper + " " + (land ? "landscape" : "portrait") + "; margin: 10mm; }";
    if (!st.printBounds) { st.printBounds = map.getBounds(); st.zoomSnap = map.options.zoomSnap; }
    map.options.zoomSnap = 0;  // fit the screen's view to the paper exactly, not to a whole zoom level
    document.body.classList.add("lu-print");
    map.getContainer().style.width = w + "mm";
    map.getContainer().style.height = h + "mm";
    map.invalidateSize({animate: false});
    map.fitBounds(st.printBounds, {animate: false, padding: [0, 0]});
  };

  LU.endPrintView = function (map) {
    var st = state(map);
    if (!st.printBounds) { return; }
    document.body.classList.remove("lu-print");
    map.options.zoomSnap = st.zoomSnap;
    map.getContainer().style.width = "";
    map.getContainer().style.height = "";
    map.invalidateSize({animate: false});
    map.fitBounds(st.printBounds, {animate: false, padding: [0, 0]});
    st.printBounds = null;
  };

  function printTool(st, panel) {
    var map = st.map, select = el("select");
    [["A4", "portrait"], ["A4", "landscape"], ["A3", "portrait"], ["A3", "landscape"]].forEach(function (o) {
      var opt = el("option", null, o[0] + " " + (o[1] === "portrait" ? "ຕັ້ງ · portrait" : "ນອນ · landscape"));
      opt.value = o.join(" ");
      select.appendChild(opt);
    });
    select.value = "A4 landscape";
    var go = el("button", null, "ພິມ · Print");
    go.type = "button";
    go.addEventListener("click", function () {
      var o = select.value.split(" ");
      LU.printView(map, o[0], o[1]);
      requestAnimationFrame(function () { requestAnimationFrame(function () { window.print(); }); });
    });
    window.addEventListener("afterprint", function () { LU.endPrintView(map); });
    panel.appendChild(select);
    panel.appendChild(go);
  }

  function toolsControl(st, utm) {
    var Tools = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function () {
        var box = L.DomUtil.create("div", "lu-tools leaflet-bar");
        L.DomEvent.disableClickPropagation(box);
        var bar = el("div", "lu-tool-buttons"), measure = el("button", "lu-measure-btn", "ວັດແທກ · Measure");
        var print = el("button", "lu-print-btn", "ພິມ · Print");
        measure.type = print.type = "button";
        bar.appendChild(measure);
        bar.appendChild(print);
        box.appendChild(bar);
        var mpanel = el("div", "lu-panel lu-measure-panel"), ppanel = el("div", "lu-panel lu-print-panel");
        mpanel.style.display = ppanel.style.display = "none";
        box.appendChild(mpanel);
        box.appendChild(ppanel);
        measureTool(st, utm, mpanel, measure);
        printTool(st, ppanel);
        print.addEventListener("click", function () { ppanel.style.display = ppanel.style.display ? "" : "none"; });
        return box;
      }
    });
    new Tools().addTo(st.map);
  }

  // Lines and points (streams, canals, intakes) over every area, in layer order: thin,
  // they would be lost, and unclickable, under the parcels.
  function raiseThin(st) {
    st.layers.forEach(function (e) {
      if (e.bulk || !st.map.hasLayer(e.group)) { return; }
      e.features.forEach(function (f) { if (f && !(f instanceof L.Polygon) && f.bringToFront) { f.bringToFront(); } });
    });
  }

  // A layer ticked on again goes back to its place in the drawing order (Leaflet would
  // draw it on top), so parcels and allocations stay above the zones and schemes.
  function keepOrder(st) {
    st.map.on("overlayadd", function (ev) {
      var k = -1;
      st.layers.forEach(function (e, j) { if (e.group === ev.layer) { k = j; } });
      if (k < 0) { return; }
      for (var j = k + 1; j < st.layers.length; j++) {
        var e = st.layers[j];
        if (!e.bulk && st.map.hasLayer(e.group)) { e.group.bringToFront(); }
      }
      raiseThin(st);
    });
  }

  // Called once before the layers: set the view first, so features are projected once.
  LU.start = function (map, opts) {
    if (opts.bounds) { map.fitBounds(opts.bounds, {animate: false}); }
  };

  // Called once after all layers: bounds, legend, search box, title, tools.
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
    var utm = opts.utm || [Math.floor((map.getCenter().lng + 180) / 6) % 60 + 1, map.getCenter().lat < 0];
    toolsControl(st, utm);
    northArrow(st);
    utmControl(st, utm);
    st.legend = legendControl(st);
    keepOrder(st);
    raiseThin(st);
    // the layer control is added after this call (same script): make it collapsible then
    setTimeout(function () {
      Array.prototype.forEach.call(map.getContainer().querySelectorAll(".leaflet-control-layers"), function (box) {
        if (!box.classList.contains("lu-collapsible")) { collapsible(box, "ຊັ້ນຂໍ້ມູນ · Layers"); }
      });
      LU.readyAt = window.performance ? performance.now() : null;  // ms since navigation start
      map.getContainer().setAttribute("data-landuse-ready", "1");
    }, 0);
    if (opts.search) {  // once drawn: prepare the search of the big layers while the user looks
      setTimeout(function () {
        st.layers.forEach(function (e) { if (e.bulk) { e.spec.search.forEach(function (s) { matches(e, s[0], "\u0000"); }); } });
      }, 0);
    }
  };
})();
