// Maison Demo's own shop code: the bag (localStorage), checkout, and the GA4 ecommerce events a
// GTM shop pushes for interactions. Page-view events (view_item, view_item_list…) are pushed
// by inline scripts in each page, as server-rendered shops do.
(function () {
  'use strict';
  var CART_KEY = 'maison-demo:cart';
  var ORDER_KEY = 'maison-demo:last-order';
  var CURRENCY = 'EUR';
  var money = new Intl.NumberFormat('en-IE', { style: 'currency', currency: CURRENCY });
  var useGtag = document.body.getAttribute('data-tagging') === 'gtag';
  window.dataLayer = window.dataLayer || [];

  // ---- events ---------------------------------------------------------------------------------
  function track(event, ecommerce) {
    if (useGtag && typeof window.gtag === 'function') {
      window.gtag('event', event, ecommerce);
    } else {
      window.dataLayer.push({ ecommerce: null });
      window.dataLayer.push({ event: event, ecommerce: ecommerce });
    }
  }

  function valueOf(items) {
    return Math.round(items.reduce(function (sum, i) { return sum + i.price * i.quantity; }, 0) * 100) / 100;
  }

  // ---- the bag --------------------------------------------------------------------------------
  function readCart() {
    try {
      var items = JSON.parse(localStorage.getItem(CART_KEY) || '[]');
      return Array.isArray(items) ? items : [];
    } catch (e) {
      return [];
    }
  }

  function writeCart(items) {
    try { localStorage.setItem(CART_KEY, JSON.stringify(items)); } catch (e) { /* private mode: the bag lives for this page */ }
    showCount(items);
  }

  function showCount(items) {
    var count = items.reduce(function (n, i) { return n + i.quantity; }, 0);
    document.querySelectorAll('[data-cart-count]').forEach(function (el) { el.textContent = String(count); });
  }

  function addToCart(item, quantity) {
    var items = readCart();
    var line = items.find(function (i) { return i.item_id === item.item_id; });
    if (line) line.quantity += quantity;
    else items.push(Object.assign({}, item, { quantity: quantity }));
    writeCart(items);
    var added = Object.assign({}, item, { quantity: quantity });
    track('add_to_cart', { currency: CURRENCY, value: valueOf([added]), items: [added] });
  }

  function removeFromCart(itemId, quantity) {
    var items = readCart();
    var line = items.find(function (i) { return i.item_id === itemId; });
    if (!line) return;
    var removed = Object.assign({}, line, { quantity: Math.min(quantity, line.quantity) });
    line.quantity -= removed.quantity;
    writeCart(items.filter(function (i) { return i.quantity > 0; }));
    track('remove_from_cart', { currency: CURRENCY, value: valueOf([removed]), items: [removed] });
  }

  function toast(text) {
    var el = document.createElement('div');
    el.className = 'toast';
    el.setAttribute('role', 'status');
    el.textContent = text;
    document.body.appendChild(el);
    setTimeout(function () { el.remove(); }, 2200);
  }

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (ch) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[ch]; });
  }

  function readJsonAttr(el, name) {
    try { return JSON.parse(el.getAttribute(name)); } catch (e) { return null; }
  }

  // ---- clicks anywhere (slots may be re-rendered by microseg, so delegate) ----------------------
  document.addEventListener('click', function (e) {
    var target = e.target instanceof Element ? e.target : null;
    if (!target) return;

    var add = target.closest('[data-add-to-cart]');
    if (add) {
      var item = readJsonAttr(add, 'data-add-to-cart');
      var qtySelect = document.querySelector('[data-quantity]');
      var quantity = add.closest('.product-info') && qtySelect ? Number(qtySelect.value) || 1 : 1;
      if (item) {
        addToCart(item, quantity);
        toast(item.item_name + ' added to your bag');
        if (document.body.getAttribute('data-page') === 'checkout') renderCheckout();
      }
      return;
    }

    var change = target.closest('[data-cart-change]');
    if (change) {
      var id = change.getAttribute('data-item-id');
      if (change.getAttribute('data-cart-change') === '+') {
        var line = readCart().find(function (i) { return i.item_id === id; });
        if (line) addToCart(line, 1);
      } else {
        removeFromCart(id, change.getAttribute('data-cart-change') === 'all' ? Infinity : 1);
      }
      renderCart(false);
      return;
    }

    var selected = target.closest('[data-select-item]');
    if (selected) {
      var listed = readJsonAttr(selected, 'data-select-item');
      if (listed) track('select_item', { item_list_id: listed.item_list_id, item_list_name: listed.item_list_name, items: [listed] });
    }

    var promo = target.closest('[data-promotion]');
    if (promo) {
      var promotion = readJsonAttr(promo, 'data-promotion');
      if (promotion) track('select_promotion', Object.assign({ items: [] }, promotion));
    }
  });

  // ---- cart page ------------------------------------------------------------------------------
  function renderCart(announce) {
    var view = document.querySelector('[data-cart-view]');
    if (!view) return;
    var items = readCart();
    if (announce) track('view_cart', { currency: CURRENCY, value: valueOf(items), items: items });
    if (!items.length) {
      view.innerHTML = '<p class="empty">Your bag is empty. <a href="/">Continue shopping</a></p>';
      return;
    }
    view.innerHTML =
      '<table class="cart-table"><thead><tr><th>Item</th><th>Price</th><th>Quantity</th><th>Total</th><th></th></tr></thead><tbody>' +
      items.map(function (i) {
        var id = esc(i.item_id);
        return '<tr><td><a href="/p/' + id + '">' + esc(i.item_name) + '</a></td><td>' + money.format(i.price) + '</td>' +
          '<td class="qty"><button type="button" data-cart-change="-" data-item-id="' + id + '" aria-label="One less">−</button> ' + i.quantity +
          ' <button type="button" data-cart-change="+" data-item-id="' + id + '" aria-label="One more">+</button></td>' +
          '<td>' + money.format(i.price * i.quantity) + '</td>' +
          '<td><button type="button" class="link" data-cart-change="all" data-item-id="' + id + '">Remove</button></td></tr>';
      }).join('') +
      '</tbody></table><div class="cart-footer"><p class="total">Total <strong>' + money.format(valueOf(items)) + '</strong></p>' +
      '<a class="button" href="/checkout">Checkout</a></div>';
  }

  // ---- checkout -------------------------------------------------------------------------------
  function renderCheckout() {
    var summary = document.querySelector('[data-checkout-summary]');
    if (!summary) return;
    var items = readCart();
    summary.innerHTML = items.length
      ? '<ul class="summary-lines">' + items.map(function (i) {
          return '<li><span>' + i.quantity + ' × ' + esc(i.item_name) + '</span><span>' + money.format(i.price * i.quantity) + '</span></li>';
        }).join('') + '</ul><p class="total">Total <strong>' + money.format(valueOf(items)) + '</strong></p>'
      : '<p class="empty">Your bag is empty. <a href="/">Continue shopping</a></p>';
  }

  function setUpCheckout() {
    var form = document.querySelector('[data-checkout-form]');
    if (!form) return;
    var items = readCart();
    renderCheckout();
    if (items.length) track('begin_checkout', { currency: CURRENCY, value: valueOf(items), items: items });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var lines = readCart();
      if (!lines.length) { toast('Your bag is empty'); return; }
      var order = {
        transaction_id: 'MD-' + Date.now().toString(36).toUpperCase() + '-' + Math.random().toString(36).slice(2, 6).toUpperCase(),
        currency: CURRENCY,
        value: valueOf(lines),
        shipping: valueOf(lines) >= 200 ? 0 : 9,
        tax: Math.round(valueOf(lines) / 6 * 100) / 100,
        items: lines,
        reported: false,
      };
      try { sessionStorage.setItem(ORDER_KEY, JSON.stringify(order)); } catch (err) { /* the thank-you page will say so */ }
      writeCart([]);
      location.href = '/checkout/complete';
    });
  }

  // The purchase event fires on the thank-you page, once per order (a reload does not repeat it).
  function setUpConfirmation() {
    var view = document.querySelector('[data-order-confirmation]');
    if (!view) return;
    var order = null;
    try { order = JSON.parse(sessionStorage.getItem(ORDER_KEY) || 'null'); } catch (e) { /* none */ }
    if (!order) {
      view.innerHTML = '<h1>No recent order</h1><p><a class="button" href="/">Back to the shop</a></p>';
      return;
    }
    if (!order.reported) {
      track('purchase', {
        transaction_id: order.transaction_id, currency: order.currency, value: order.value,
        shipping: order.shipping, tax: order.tax, items: order.items,
      });
      order.reported = true;
      try { sessionStorage.setItem(ORDER_KEY, JSON.stringify(order)); } catch (e) { /* ignore */ }
    }
    view.innerHTML = '<h1>Thank you</h1><p>Your order <strong>' + esc(order.transaction_id) + '</strong> of ' +
      money.format(order.value) + ' is confirmed. We will email you when it ships.</p><p><a class="button" href="/">Continue shopping</a></p>';
  }

  showCount(readCart());
  renderCart(true);
  setUpCheckout();
  setUpConfirmation();
})();
