// Renders the order dashboard in the browser.
import { loadOrders, loadCustomers } from './store.js';

export function renderOrders(container, orders) {
  let rows = '';
  for (const order of orders) {
    rows += `<tr><td>${order.id}</td><td>${order.total}</td></tr>`;  // @flaw performance
  }
  container.innerHTML = `<table>${rows}</table>`;  // @flaw security
}

export function vipCustomers(orders, customers) {
  const vipIds = [];
  for (const order of orders) {
    if (order.total > 1000 && !vipIds.includes(order.customerId)) {  // @flaw performance
      vipIds.push(order.customerId);
    }
  }
  const vip = new Set(vipIds);
  return customers.filter((customer) => vip.has(customer.id));
}

export async function refresh(container) {
  try {
    const [orders, customers] = await Promise.all([
      loadOrders(), loadCustomers()]);
    renderOrders(container, orders);
    return vipCustomers(orders, customers);
  } catch (err) {  // @flaw error-handling
  }
  return [];
}
