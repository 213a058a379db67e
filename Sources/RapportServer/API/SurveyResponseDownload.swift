import Hummingbird
import RapportCore

/// A survey's responses as a CSV download, streamed page by page (the API's `responses.csv` and the survey page's
/// download link).
enum SurveyResponseDownload {
    static func response(_ export: SurveyResponseExport, surveyId: String) -> Response {
        let body = ResponseBody { writer in
            try await export.write { text in try await writer.write(ByteBuffer(string: text)) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [
            .contentType: "text/csv; charset=utf-8",
            .contentDisposition: "attachment; filename=\"survey-\(surveyId)-responses.csv\"",
        ], body: body)
    }
}
