// Shopping cart widget for the product page.
const CART_URL = '/api/cart';

export class Cart {
  constructor(root, currency = 'EUR') {
    this.root = root;
    this.currency = currency;
    this.items = [];
  }

  async add(item, quantity = 1) {
    const response = await fetch(`${CART_URL}/items`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: item.id, quantity }),
    });
    if (!response.ok) {
      throw new Error(`cannot add ${item.id}: ${response.status}`);
    }
    this.items.push({ ...item, quantity });
    this.render();
  }

  total() {
    return this.items.reduce((sum, item) => sum + item.price * item.quantity, 0);
  }

  render() {
    const lines = this.items.map((item) => `<li>${item.name} x ${item.quantity}</li>`);
    this.root.innerHTML = `<ul>${lines.join('')}</ul><p>${this.total()} ${this.currency}</p>`;
    console.log(`cart rendered with ${this.items.length} items`);
  }
}
