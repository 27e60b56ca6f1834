#!/usr/bin/env bash
# The domain model's story, against a running suite (./run.sh), through the gateway's REST port:
#   SAP creates a purchase order at plant P200 -> the supplier confirms outside tolerance -> the
#   confirmation is parked as an exception -> the buyer approves it -> the supplier sends an ASN ->
#   the warehouse's goods receipt creates a lot in quality inspection -> the inspection fails ->
#   its nonconformance blocks the lot -> the MES's attempt to consume the lot is refused -> quality
#   dispositions the nonconformance: the lot is scrapped.
# Each step prints what it sent and the answer, and the script stops (exit 1) when an answer is not
# the expected one. Every run uses fresh ids, so it can be repeated.
# Needs curl and jq. MFG_GATEWAY overrides the gateway address (default http://127.0.0.1:8080).
# Each system calls with its own development bearer token (tools/token; ./run.sh trusts its key).
set -euo pipefail
cd "$(dirname "$0")/../.."

gateway="${MFG_GATEWAY:-http://127.0.0.1:8080}"
run="$(date +%s)"
po="45$run"
lot="LOT-$run"
inspection="INSP-$run"
order="WO-$run"
at='"occurredAt": "2026-11-23T08:00:00Z"'

# The identities of the story's systems, and a token for each.
declare -A token
token[sap]="$(tools/token sap read write)"
token[odoo]="$(tools/token odoo read write)"
token[supplier]="$(tools/token supplier:V-100200 read write)"
token[reviewer]="$(tools/token service:buyer-portal read review)"
token[warehouse]="$(tools/token service:warehouse read write)"
token[quality]="$(tools/token service:quality read write)"
token[mes]="$(tools/token mes:P200 read write)"

# call WHO METHOD PATH [BODY]: prints the HTTP status and the JSON answer; sets $status and $body.
call() {
  local source="$1" method="$2" path="$3" data="${4:-}"
  local out
  out="$(mktemp)"
  if [ -n "$data" ]; then
    status="$(curl -s -o "$out" -w '%{http_code}' -X "$method" "$gateway$path" \
      -H 'content-type: application/json' -H "authorization: Bearer ${token[$source]}" -d "$data")"
  else
    status="$(curl -s -o "$out" -w '%{http_code}' -X "$method" "$gateway$path" -H "authorization: Bearer ${token[$source]}")"
  fi
  body="$(cat "$out")"
  rm -f "$out"
  echo "    $source $method $path -> HTTP $status"
}

# expect WHAT JQ-FILTER EXPECTED: checks one value of the last answer.
expect() {
  local actual
  actual="$(jq -r "$2" <<<"$body")"
  if [ "$actual" != "$3" ]; then
    echo "!!! $1: expected '$3', got '$actual'" >&2
    jq . <<<"$body" >&2 || echo "$body" >&2
    exit 1
  fi
  echo "    ok: $1 = $actual"
}

step() { echo; echo "==> $*"; }

step "1. SAP creates purchase order $po at P200 (line 00010: 2000 KG STEEL-S235, inspection required)"
purchase_order() {
  echo '{"purchaseOrderId": "'"$1"'",
  "purchaseOrder": {"vendor": "V-100200", "currency": "EUR", "lines": [{
    "lineId": "00010", "material": "STEEL-S235", "quantity": {"value": "2000", "unitOfMeasure": "KG"},
    "unitPrice": "1.25", "requestedDeliveryDate": {"year": 2026, "month": 12, "day": 10}, "inspectionRequired": true}]},
  "metadata": {"messageId": "'"$2"'", '"$at"'}}'
}
call odoo POST /procurement/v1/plants/P200/purchaseOrders "$(purchase_order "$po" "odoo-$run")"
expect "Odoo may not: P200 runs SAP (gRPC code PERMISSION_DENIED)" .code 7
call sap POST /procurement/v1/plants/P200/purchaseOrders "$(purchase_order "$po" "sap-$run")"
expect "state" .purchaseOrder.state PURCHASE_ORDER_STATE_CREATED

step "2. The supplier confirms 1500 KG: outside the 5% tolerance, parked as an exception"
call supplier POST "/procurement/v1/plants/P200/purchaseOrders/$po:confirmLine" '{
  "lineId": "00010", "confirmedQuantity": {"value": "1500", "unitOfMeasure": "KG"},
  "confirmedDeliveryDate": {"year": 2026, "month": 12, "day": 10},
  "metadata": {"messageId": "sup-'"$run"'", '"$at"'}}'
expect "reason" '.details[] | select(."@type" | endswith("ErrorInfo")) | .reason' PARKED_AS_EXCEPTION
exception="$(jq -r '.details[] | select(."@type" | endswith("ErrorInfo")) | .metadata.exception' <<<"$body")"
echo "    exception: $exception"
echo "    $(jq -r .message <<<"$body")"

step "3. The buyer approves the exception (twice: applied once)"
for attempt in 1 2; do
  call reviewer POST "/procurement/v1/$exception:resolve" '{
    "resolution": "EXCEPTION_RESOLUTION_APPROVE", "reviewer": "buyer.anna", "note": "short shipment agreed",
    "metadata": {"messageId": "rev-'"$run-$attempt"'", '"$at"'}}'
  expect "line 00010 confirmed" '.purchaseOrder.lines[0].confirmation.quantity.value' 1500
done
expect "order state" .purchaseOrder.state PURCHASE_ORDER_STATE_CONFIRMED

step "4. The supplier sends the ASN"
call supplier POST "/procurement/v1/plants/P200/purchaseOrders/$po:notifyShipment" '{
  "shipmentNotice": {"noticeId": "ASN-'"$run"'", "expectedArrivalTime": "2026-12-09T00:00:00Z",
    "lines": [{"lineId": "00010", "quantity": {"value": "1500", "unitOfMeasure": "KG"}, "supplierLot": "S-77"}]},
  "metadata": {"messageId": "asn-'"$run"'", '"$at"'}}'
expect "shipped" '.purchaseOrder.lines[0].shippedQuantity' 1500

step "5. The warehouse receives the goods: lot $lot is created in quality inspection"
call warehouse POST "/procurement/v1/plants/P200/purchaseOrders/$po:receiveGoods" '{
  "lineId": "00010", "quantity": {"value": "1500", "unitOfMeasure": "KG"}, "lotId": "'"$lot"'",
  "location": "RECV-01", "supplierLot": "S-77", "metadata": {"messageId": "gr-'"$run"'", '"$at"'}}'
call warehouse GET "/inventory/v1/plants/P200/lots/$lot"
expect "lot status" .lot.status LOT_STATUS_QUALITY_INSPECTION

step "6. The inspection fails (tensile 310 MPa, spec 340..470): a nonconformance blocks the lot"
call quality POST /quality/v1/plants/P200/inspections '{
  "inspectionId": "'"$inspection"'", "lotId": "'"$lot"'", "inspector": "lab.k",
  "characteristics": [{"name": "tensile_strength", "value": "310", "lowerLimit": "340", "upperLimit": "470", "unit": "MPa"}],
  "metadata": {"messageId": "qm-'"$run"'", '"$at"'}}'
expect "inspection result" .inspection.result INSPECTION_RESULT_FAIL
nonconformance="$(jq -r .inspection.nonconformance <<<"$body")"
call quality GET "/inventory/v1/plants/P200/lots/$lot"
expect "lot status" .lot.status LOT_STATUS_BLOCKED

step "7. SAP releases production order $order; the MES's attempt to consume the blocked lot is refused"
call sap POST /shop-floor/v1/plants/P200/productionOrders:release '{
  "productionOrderId": "'"$order"'",
  "productionOrder": {"product": "BIKE-26", "quantity": {"value": "25", "unitOfMeasure": "EA"},
    "components": [{"material": "STEEL-S235", "quantityPerUnit": {"value": "2", "unitOfMeasure": "KG"}}],
    "operations": [{"operationId": "0010", "workCenter": "WELD-1"}],
    "plannedStartTime": "2026-12-01T06:00:00Z", "plannedEndTime": "2026-12-01T14:00:00Z"},
  "metadata": {"messageId": "sap-wo-'"$run"'", '"$at"'}}'
expect "order state" .productionOrder.state PRODUCTION_ORDER_STATE_RELEASED
call mes POST "/shop-floor/v1/plants/P200/productionOrders/$order:consumeMaterial" '{
  "component": "STEEL-S235", "lotId": "'"$lot"'", "quantity": {"value": "50", "unitOfMeasure": "KG"},
  "metadata": {"messageId": "mes-'"$run"'", '"$at"'}}'
expect "refusal" '.details[] | select(."@type" | endswith("PreconditionFailure")) | .violations[0].type' LOT_BLOCKED

step "8. Quality dispositions $nonconformance: scrap, supplier accountable"
call quality POST "/quality/v1/$nonconformance:disposition" '{
  "disposition": "DISPOSITION_SCRAP", "supplierAccountable": true, "note": "tensile below spec",
  "metadata": {"messageId": "qm-d-'"$run"'", '"$at"'}}'
expect "nonconformance" .nonconformance.state NONCONFORMANCE_STATE_DISPOSITIONED
call quality GET "/inventory/v1/plants/P200/lots/$lot"
expect "lot status" .lot.status LOT_STATUS_SCRAPPED
expect "quantity on hand" .lot.quantityOnHand.value 0

echo
echo "==> Done: purchase order plants/P200/purchaseOrders/$po, lot plants/P200/lots/$lot, $nonconformance"
