/** What identifies one price in a price list: its Region, its use and its instance type. */
export function priceKey(region: string, component: string, instanceType: string): string {
  return `${region}|${component}|${instanceType}`;
}
