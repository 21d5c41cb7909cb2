# frozen_string_literal: true

# Line charts as standalone SVG files (no dependencies): one series per path.
module SvgChart
  WIDTH = 720
  HEIGHT = 360
  MARGIN = { left: 70, right: 20, top: 40, bottom: 50 }.freeze
  COLORS = ["#c0392b", "#2471a3", "#229954", "#7d3c98"].freeze

  module_function

  # series: { name => [[x, y], ...] }; log_y plots y on a log10 scale.
  def line(title:, x_label:, y_label:, series:, log_y: false)
    points = series.values.flatten(1).reject { |_, y| y.nil? }
    return nil if points.empty?

    ty = ->(y) { log_y ? Math.log10([y, 0.1].max) : y }
    x_max = points.map(&:first).max.to_f
    y_values = points.map { |_, y| ty.call(y) }
    y_min = log_y ? y_values.min.floor : 0.0
    y_max = [y_values.max.ceil, y_min + 1].max.to_f
    y_max = (y_values.max.to_f / nice_step(y_values.max / 5.0)).ceil * nice_step(y_values.max / 5.0) unless log_y
    y_max = y_min + 1 if y_max <= y_min
    plot_w = WIDTH - MARGIN[:left] - MARGIN[:right]
    plot_h = HEIGHT - MARGIN[:top] - MARGIN[:bottom]
    sx = ->(x) { MARGIN[:left] + (x_max.zero? ? 0 : x / x_max * plot_w) }
    sy = ->(y) { MARGIN[:top] + plot_h - (ty.call(y) - y_min) / (y_max - y_min) * plot_h }

    out = [%(<svg xmlns="http://www.w3.org/2000/svg" width="#{WIDTH}" height="#{HEIGHT}" font-family="sans-serif" font-size="12">),
           %(<rect width="100%" height="100%" fill="white"/>),
           %(<text x="#{MARGIN[:left]}" y="22" font-size="14">#{escape(title)}</text>)]
    ticks(y_min, y_max, log_y).each do |tick|
      y = MARGIN[:top] + plot_h - (tick - y_min) / (y_max - y_min) * plot_h
      label = log_y ? format_number(10**tick) : format_number(tick)
      out << %(<line x1="#{MARGIN[:left]}" x2="#{WIDTH - MARGIN[:right]}" y1="#{y.round(1)}" y2="#{y.round(1)}" stroke="#ddd"/>)
      out << %(<text x="#{MARGIN[:left] - 6}" y="#{(y + 4).round(1)}" text-anchor="end">#{label}</text>)
    end
    5.times.map { |i| x_max * i / 4 }.each do |x|
      out << %(<text x="#{sx.call(x).round(1)}" y="#{HEIGHT - MARGIN[:bottom] + 18}" text-anchor="middle">#{format_number(x)}</text>)
    end
    out << %(<text x="#{WIDTH / 2}" y="#{HEIGHT - 10}" text-anchor="middle">#{escape(x_label)}</text>)
    out << %(<text x="16" y="#{HEIGHT / 2}" text-anchor="middle" transform="rotate(-90 16 #{HEIGHT / 2})">#{escape(y_label)}</text>)
    series.each_with_index do |(name, data), i|
      path = data.reject { |_, y| y.nil? }.map { |x, y| "#{sx.call(x).round(1)},#{sy.call(y).round(1)}" }.join(" ")
      out << %(<polyline fill="none" stroke="#{COLORS[i % COLORS.size]}" stroke-width="2" points="#{path}"/>)
      out << %(<text x="#{WIDTH - MARGIN[:right] - 10}" y="#{MARGIN[:top] - 14 + 16 * i}" text-anchor="end" ) +
             %(fill="#{COLORS[i % COLORS.size]}">#{escape(name)}</text>)
    end
    (out << "</svg>").join("\n")
  end

  def ticks(min, max, log_y)
    return (min.to_i..max.to_i).to_a if log_y

    step = nice_step((max - min) / 5)
    (0..(max / step).floor).map { |i| i * step }
  end

  def nice_step(raw)
    return 1 if raw <= 0

    magnitude = 10**Math.log10(raw).floor
    [1, 2, 5, 10].map { |m| m * magnitude }.find { |s| s >= raw }
  end

  def format_number(value)
    value >= 100 || value == value.round ? value.round.to_s : value.round(1).to_s
  end

  def escape(text)
    text.to_s.gsub("&", "&amp;").gsub("<", "&lt;").gsub(">", "&gt;")
  end
end
