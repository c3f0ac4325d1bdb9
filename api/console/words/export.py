"""Words of the export pages (the owner's copy of their warehouse) and of proof bundles."""

MESSAGES: dict[str, tuple[str, str]] = {
    "bundle.title": ("Tuyên bố hồ sơ của kho", "The vault's record statement"),
    "bundle.passed": (
        "Gói bằng chứng hợp lệ: tuyên bố có con dấu số của kho và khớp với tệp PDF.",
        "The proof bundle holds: the statement carries the vault's seal and matches the PDF.",
    ),
    "bundle.failed": (
        "Gói bằng chứng KHÔNG hợp lệ: xem các vấn đề bên dưới.",
        "The proof bundle does NOT hold: see the problems below.",
    ),
    "bundle.kind": ("Loại", "Kind"),
    "bundle.kind.certified_copy": ("Bản sao điện tử có chứng thực", "Electronic certified copy"),
    "bundle.kind.signed_result": ("Kết quả giải quyết TTHC đã ký số", "Signed procedure result"),
    "bundle.kind.unknown": ("Không rõ", "Unknown"),
    "bundle.number": ("Số", "Number"),
    "bundle.book": ("quyển số", "book"),
    "bundle.office": ("Cơ quan", "Office"),
    "bundle.date": ("Ngày", "Date"),
    "bundle.status_at_issue": ("Trạng thái khi cấp gói", "Status when the bundle was made"),
    "bundle.sealed_by": ("Đóng dấu số bởi", "Sealed by"),
    "bundle.status_url": ("Địa chỉ tra cứu trạng thái", "Status URL"),
    "bundle.offline_note": (
        "Kiểm tra này không cần kết nối tới kho. Để biết giấy tờ có bị thu hồi sau ngày cấp gói, "
        "hãy mở địa chỉ tra cứu trạng thái khi có mạng.",
        "This check needs no connection to the vault. To learn whether the paper was revoked "
        "since the bundle was made, open the status URL when online.",
    ),
    "nav.exports": ("Sao chép kho", "Copy my warehouse"),
    "export.title": ("Sao chép kho dữ liệu của tôi", "A copy of my warehouse"),
    "export.intro": (
        "Tải về một bản sao toàn bộ kho: các giấy tờ, bảng kê có chữ ký số của kho (SHA-256 của "
        "từng giấy tờ), hồ sơ, các sự đồng ý kèm biên nhận và nhật ký truy cập. Liên kết tải chỉ "
        "dùng được một lần và hết hạn sau {hours} giờ; sau đó gói bị xoá.",
        "Download a copy of your whole warehouse: the papers, a manifest sealed by the vault "
        "(each paper's SHA-256), your dossiers, consents with receipts and your access log. "
        "The download link works once and expires after {hours} hours; then the package is "
        "deleted.",
    ),
    "export.request": ("Yêu cầu bản sao", "Ask for a copy"),
    "export.include_superseded": (
        "Kèm các phiên bản đã bị thay thế",
        "Include superseded versions",
    ),
    "export.none": ("Chưa có yêu cầu nào.", "No export asked for yet."),
    "export.col.created": ("Yêu cầu lúc", "Asked at"),
    "export.col.status": ("Trạng thái", "Status"),
    "export.col.papers": ("Số giấy tờ", "Papers"),
    "export.col.size": ("Dung lượng", "Size"),
    "export.col.expires": ("Hết hạn", "Expires"),
    "export.status.pending": ("Đang tạo ({done}/{total})", "Being built ({done}/{total})"),
    "export.status.ready": ("Sẵn sàng", "Ready"),
    "export.status.downloaded": ("Đã tải (đã xoá)", "Downloaded (deleted)"),
    "export.status.expired": ("Hết hạn (đã xoá)", "Expired (deleted)"),
    "export.status.failed": ("Lỗi", "Failed"),
    "export.download": ("Tải về (một lần)", "Download (once)"),
    "flash.export_requested": (
        "Đã ghi nhận yêu cầu; gói đang được tạo.",
        "Your request is recorded; the package is being built.",
    ),
    "export.only_owner": (
        "Chỉ chủ kho (công dân hoặc người đại diện tổ chức) mới được sao chép kho.",
        "Only the owner of a warehouse (a citizen or an organisation's representative) may "
        "copy it.",
    ),
    "export.verify_hint": (
        "Kiểm tra gói khi không có mạng: vault verify --export TỆP --trust-root GỐC.pem",
        "Check the package offline: vault verify --export FILE --trust-root ROOT.pem",
    ),
}
